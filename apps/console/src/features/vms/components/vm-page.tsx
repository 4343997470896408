// One VM: its state and quarantine, its interfaces, and in tabs the effective security of each
// with the layer every value came from, what enforces it on the host (live counters, set
// elements) and its configuration history; the actions on it.
import { SecurityProfile } from "@metald/proto";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { enumLabel, formatBytes, formatTimestamp } from "../../../shared/format";
import { PageHeader } from "../../../shared/ui/page-header";
import { ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { Tabs } from "../../../shared/ui/tabs";
import { useCaller } from "../../auth/api/get-host-info";
import { useGetVm } from "../api/get-vm";
import { useGetVmNetworkSecurity } from "../api/get-vm-network-security";
import { NotEnforcedFields } from "./not-enforced-fields";
import { SecurityProvenance } from "./security-provenance";
import { VmActions } from "./vm-actions";
import { VmEnforcementSection } from "./vm-enforcement-section";
import { VmHistorySection } from "./vm-history-section";
import { IsolatedBadge, VmStateBadge } from "./vm-state-badge";

export type VmTab = "security" | "enforcement" | "history";

const TABS: readonly { id: VmTab; label: string }[] = [
  { id: "security", label: "Effective security" },
  { id: "enforcement", label: "Enforcement" },
  { id: "history", label: "History" },
];

export function VmPage() {
  const { vmId } = useParams({ strict: false }) as { vmId: string };
  const { tab = "security" } = useSearch({ strict: false }) as { tab?: VmTab };
  const navigate = useNavigate();
  const caller = useCaller();
  const vm = useGetVm(vmId);
  const security = useGetVmNetworkSecurity(vmId);
  const [done, setDone] = useState<string>();

  if (vm.isPending) return <LoadingState label="Loading the VM…" />;
  if (vm.isError)
    return (
      <>
        <PageHeader title={vmId} />
        <ErrorState title="Could not load this VM" error={vm.error} onRetry={() => vm.refetch()} />
        <p>
          <Link to="/vms">Back to the VMs</Link>
        </p>
      </>
    );
  const v = vm.data;
  const cpu = v.config?.cpu?.vcpuCount;
  const memory = v.config?.memory?.sizeBytes;
  return (
    <>
      <PageHeader
        title={<span className="mono">{v.vmId}</span>}
        subtitle={
          <>
            <VmStateBadge state={v.state} /> {v.isolated && <IsolatedBadge />}
          </>
        }
        actions={
          <VmActions
            vmId={v.vmId}
            state={v.state}
            isolated={v.isolated}
            canQuarantine={caller.isOperator}
            canChange={!caller.isAuditor}
            onDone={setDone}
          />
        }
      />
      {/* Always present, so that screen readers announce what an action did. */}
      <p className={done ? "notice" : "visually-hidden"} role="status">
        {done}
      </p>
      <div className="grid">
        <section className="card" aria-labelledby="vm-summary">
          <h2 id="vm-summary">Summary</h2>
          <dl className="facts">
            <dt>Tenant</dt>
            <dd>
              {caller.isOperator ? (
                <Link to="/tenants/$tenantId" params={{ tenantId: v.tenantId }}>
                  {v.tenantId}
                </Link>
              ) : (
                v.tenantId
              )}
            </dd>
            <dt>Isolated</dt>
            <dd>{v.isolated ? "yes: all traffic dropped" : "no"}</dd>
            <dt>Profile</dt>
            <dd>
              {security.data
                ? enumLabel(SecurityProfile[security.data.profile], "")
                : enumLabel(SecurityProfile[v.ipv6Security?.profile ?? 0], "")}
            </dd>
            <dt>Application tier</dt>
            <dd>{v.applicationTier || "—"}</dd>
            <dt>Resources</dt>
            <dd>
              {cpu || memory
                ? [cpu ? `${cpu} vCPU` : undefined, memory ? formatBytes(memory) : undefined]
                    .filter(Boolean)
                    .join(" · ")
                : "not set"}
            </dd>
            <dt>Host</dt>
            <dd>{v.hostId}</dd>
            <dt>Config version</dt>
            <dd>{v.configVersion}</dd>
            <dt>Created</dt>
            <dd>{formatTimestamp(v.createdAt)}</dd>
            <dt>Updated</dt>
            <dd>{formatTimestamp(v.updatedAt)}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="vm-interfaces">
          <h2 id="vm-interfaces">Interfaces</h2>
          <TableScroll label="Interfaces">
            <table>
              <caption className="visually-hidden">Interfaces</caption>
              <thead>
                <tr>
                  <th scope="col">Interface</th>
                  <th scope="col">Address</th>
                  <th scope="col">Tap</th>
                  <th scope="col">Bridge</th>
                </tr>
              </thead>
              <tbody>
                {v.network.map((n) => (
                  <tr key={n.id}>
                    <th scope="row">{n.id}</th>
                    <td className="mono">
                      {[n.ipv6?.address, ...(n.ipv6?.additionalAddresses ?? [])]
                        .filter(Boolean)
                        .join(", ") || "—"}
                    </td>
                    <td className="mono">{n.tapDevice || "—"}</td>
                    <td className="mono">{n.bridgeName || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </section>
      </div>
      <section className="card" aria-label="Security, enforcement and history">
        <Tabs
          label="What to show of the VM"
          idPrefix="vm"
          tabs={TABS}
          selected={tab}
          onSelect={(next) =>
            navigate({
              to: ".",
              search: (s: Record<string, unknown>) => ({ ...s, tab: next }),
              replace: true,
            })
          }
        >
          {tab === "enforcement" ? (
            <VmEnforcementSection vmId={v.vmId} />
          ) : tab === "history" ? (
            <VmHistorySection vmId={v.vmId} />
          ) : (
            <>
              <h2 id="vm-security">Effective security and where each value came from</h2>
              <p className="page-header__subtitle">
                Layers, lowest first: default, profile, tenant (host configuration), request.
              </p>
              <div className="stack">
                {security.isPending ? (
                  <LoadingState label="Loading the security settings…" />
                ) : security.isError ? (
                  <ErrorState
                    title="Could not load the security settings"
                    error={security.error}
                    onRetry={() => security.refetch()}
                  />
                ) : (
                  <>
                    <h3>Not enforced on this host</h3>
                    <NotEnforcedFields fields={security.data.notEnforced} />
                    {security.data.interfaces.map((status) => (
                      <SecurityProvenance key={status.interfaceId} status={status} />
                    ))}
                  </>
                )}
              </div>
            </>
          )}
        </Tabs>
      </section>
    </>
  );
}
