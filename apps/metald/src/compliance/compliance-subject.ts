// A stored VM as the compliance engine sees it: the effective policy of each interface as applied
// (what the host enforces), every framework required of it, and VM-wide facts.
import {
  type ComplianceFramework,
  type ComplianceSubject,
  type PolicyLayer,
  profileLayer,
  resolvePolicy,
  type SecurityPolicy,
  type VmSpec,
} from "@metald/core";
import type { VmRecord } from "@metald/db";

interface StoredInterface {
  interfaceId: string;
  policy: SecurityPolicy;
}

/**
 * The controls are judged on the stored effective policy: it is what the host applied (a tenant
 * layer changed by a reload reaches a VM's enforcement with its next change). The frameworks are
 * every one required at any layer: the stored policy's, the VM's compliance block, and those its
 * tenant layer requires now, so that a tenant newly put under a framework is judged at once and
 * a VM's own list (which replaces the tenant's in the effective policy) cannot drop one.
 */
export function complianceSubject(
  record: VmRecord,
  tenantLayer: PolicyLayer | undefined,
): ComplianceSubject {
  const spec = record.spec as VmSpec;
  const stored = (record.effective as StoredInterface[] | null) ?? [];
  const frameworks = new Set<ComplianceFramework>([
    ...(spec.compliance?.frameworks ?? []),
    ...(tenantLayer?.compliance?.frameworks ?? []),
    ...(profileLayer(spec.profile).compliance?.frameworks ?? []),
  ]);
  const interfaces =
    stored.length > 0
      ? stored.map((e) => ({ id: e.interfaceId, policy: e.policy }))
      : // A VM without interfaces: its VM-wide policy (profile and tenant layers).
        [
          {
            id: "vm",
            policy: resolvePolicy({ profile: spec.profile, tenant: tenantLayer }).policy,
          },
        ];
  return {
    interfaces,
    facts: { profile: spec.profile, dataResidency: spec.compliance?.dataResidency ?? "" },
    frameworks: [...frameworks],
  };
}
