// One tenant's settings: the header and facts of the tenant page (its VMs are listed under it);
// operators edit them here.
import { useParams } from "@tanstack/react-router";
import { useState } from "react";
import { formatTimestamp } from "../../../shared/format";
import { Button } from "../../../shared/ui/button";
import { PageHeader } from "../../../shared/ui/page-header";
import { ErrorState, LoadingState } from "../../../shared/ui/states";
import { useCaller } from "../../auth/api/get-host-info";
import { useGetTenant } from "../api/get-tenant";
import { useUpdateTenant } from "../api/update-tenant";
import { TenantEditForm } from "./tenant-edit-form";
import { tierLabel } from "./tenant-tier";

export function useTenantIdParam(): string {
  return (useParams({ strict: false }) as { tenantId: string }).tenantId;
}

export function TenantDetails() {
  const tenantId = useTenantIdParam();
  const tenant = useGetTenant(tenantId);
  const caller = useCaller();
  const update = useUpdateTenant();
  const [editing, setEditing] = useState(false);
  const [done, setDone] = useState<string>();
  if (tenant.isPending) return <LoadingState label="Loading the tenant…" />;
  if (tenant.isError)
    return (
      <>
        <PageHeader title={`Tenant ${tenantId}`} />
        <ErrorState
          title="Could not load this tenant"
          error={tenant.error}
          onRetry={() => tenant.refetch()}
        />
      </>
    );
  const t = tenant.data.tenant;
  return (
    <>
      <PageHeader
        title={`Tenant ${tenantId}`}
        subtitle={t?.name !== tenantId ? t?.name : undefined}
        actions={
          caller.isOperator &&
          t &&
          !editing && (
            <Button
              onClick={() => {
                setDone(undefined);
                setEditing(true);
              }}
            >
              Edit tenant
            </Button>
          )
        }
      />
      {/* Always present, so that screen readers announce what an action did. */}
      <p className={done ? "notice" : "visually-hidden"} role="status">
        {done}
      </p>
      <section className="card" aria-labelledby="tenant-settings">
        <h2 id="tenant-settings">Settings</h2>
        {editing && t ? (
          <TenantEditForm
            tenant={t}
            busy={update.isPending}
            onCancel={() => setEditing(false)}
            save={(changed) =>
              update.mutateAsync({ tenant: changed }).then(() => {
                setEditing(false);
                setDone(`Tenant ${t.id} saved.`);
              })
            }
          />
        ) : (
          <dl className="facts">
            <dt>Tier</dt>
            <dd>{t ? tierLabel(t.tier) : "—"}</dd>
            <dt>VLAN</dt>
            <dd>{t?.vlanId || "none"}</dd>
            <dt>Bridge</dt>
            <dd className="mono">{t?.bridgeName || "—"}</dd>
            <dt>IPv6 prefix</dt>
            <dd className="mono">{t?.ipv6Prefix || "—"}</dd>
            <dt>Network namespace</dt>
            <dd className="mono">{t?.networkNamespace || "—"}</dd>
            <dt>Live VMs</dt>
            <dd>{t?.vmCount ?? 0}</dd>
            <dt>Created</dt>
            <dd>{formatTimestamp(t?.createdAt)}</dd>
          </dl>
        )}
      </section>
    </>
  );
}
