// Edit a tenant (operators): name, tier, VLAN, IPv6 prefix, bridge and network namespace, sent
// whole with UpdateTenant; the server's invalid_argument is shown at the field its path names.
// The tenant's security defaults come from the host configuration file and are not edited here.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Tenant, type TenantSchema, TenantTier } from "@metald/proto";
import { type FormEvent, useEffect, useRef, useState } from "react";
import { problemAt } from "../../../shared/api/field-error";
import { Button } from "../../../shared/ui/button";
import { SelectField, TextField } from "../../../shared/ui/field";

const FIELDS = [
  "name",
  "tier",
  "vlan_id",
  "ipv6_prefix",
  "bridge_name",
  "network_namespace",
] as const;
type TenantField = (typeof FIELDS)[number];

const TIERS = [TenantTier.PREMIUM, TenantTier.STANDARD, TenantTier.BASIC] as const;

export function TenantEditForm({
  tenant,
  save,
  busy,
  onCancel,
}: {
  tenant: Tenant;
  /** Sends the change; rejects with the server's error. */
  save: (tenant: MessageInitShape<typeof TenantSchema>) => Promise<unknown>;
  busy: boolean;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<Record<TenantField, string>>({
    name: tenant.name,
    tier: String(tenant.tier === TenantTier.UNSPECIFIED ? TenantTier.STANDARD : tenant.tier),
    vlan_id: tenant.vlanId ? String(tenant.vlanId) : "",
    ipv6_prefix: tenant.ipv6Prefix,
    bridge_name: tenant.bridgeName,
    network_namespace: tenant.networkNamespace,
  });
  const [problem, setProblem] = useState<{ field?: TenantField; text: string }>();
  const controls = useRef(new Map<TenantField, HTMLElement | null>());
  useEffect(() => {
    if (problem?.field) controls.current.get(problem.field)?.focus();
  }, [problem]);

  const field = (name: TenantField) => ({
    name,
    value: values[name],
    error: problem?.field === name ? problem.text : undefined,
    ref: (el: HTMLInputElement | HTMLSelectElement | null) => {
      controls.current.set(name, el);
    },
    onChange: (e: { target: { value: string } }) => {
      setValues((v) => ({ ...v, [name]: e.target.value }));
      if (problem?.field === name) setProblem(undefined);
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const vlan = values.vlan_id.trim();
    if (vlan !== "" && !/^\d+$/.test(vlan)) {
      setProblem({ field: "vlan_id", text: "must be a whole number 1–4094, or empty for none" });
      return;
    }
    setProblem(undefined);
    save({
      id: tenant.id,
      name: values.name.trim(),
      tier: Number(values.tier) as TenantTier,
      vlanId: vlan === "" ? 0 : Number(vlan),
      ipv6Prefix: values.ipv6_prefix.trim(),
      bridgeName: values.bridge_name.trim(),
      networkNamespace: values.network_namespace.trim(),
    }).catch((error: unknown) => setProblem(problemAt(error, "tenant", FIELDS)));
  };

  return (
    <form className="form" onSubmit={submit} noValidate aria-label={`Edit tenant ${tenant.id}`}>
      <TextField label="Name" {...field("name")} />
      <SelectField label="Tier" {...field("tier")}>
        {TIERS.map((t) => (
          <option key={t} value={t}>
            {TenantTier[t].toLowerCase()}
          </option>
        ))}
      </SelectField>
      <TextField label="VLAN" inputMode="numeric" {...field("vlan_id")} hint="Empty: none." />
      <TextField label="IPv6 prefix" {...field("ipv6_prefix")} hint="e.g. 2001:db8:10::/48" />
      <TextField label="Bridge" {...field("bridge_name")} hint="Empty: metald names one." />
      <TextField label="Network namespace" {...field("network_namespace")} />
      {problem && !problem.field && (
        <p className="notice notice--error" role="alert">
          {problem.text}
        </p>
      )}
      <div className="form__actions">
        <Button type="submit" tone="primary" busy={busy}>
          Save tenant
        </Button>
        <Button onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
