// A stored VM as the compliance engine sees it: the effective policy of each interface as applied
// (what the host enforces), every framework required of it, and VM-wide facts. The monitor keeps
// one ComplianceInput per live VM; VMs whose stored effective policies are the same text share
// one parsed copy (see PolicyInterner), and so one evaluation per framework set.

import {
  type ComplianceFramework,
  type ComplianceSubject,
  type PolicyLayer,
  profileLayer,
  resolvePolicy,
  type SecurityPolicy,
  type SecurityProfileName,
} from "@metald/core";
import type { ComplianceInputRow } from "@metald/db";
import type { InternedPolicies, PolicyInterner } from "./policy-interner.js";

export interface StoredInterface {
  interfaceId: string;
  policy: SecurityPolicy;
}

export interface ComplianceInput {
  vmId: string;
  tenantId: string;
  configVersion: number;
  profile: SecurityProfileName;
  /** The VM's own compliance block. */
  frameworks: readonly ComplianceFramework[];
  dataResidency: string;
  effective: InternedPolicies;
}

export function complianceInput(
  row: ComplianceInputRow,
  policies: PolicyInterner,
): ComplianceInput {
  return {
    vmId: row.vmId,
    tenantId: row.tenantId,
    configVersion: row.configVersion,
    profile: row.profile as SecurityProfileName,
    frameworks: row.frameworks as ComplianceFramework[],
    dataResidency: row.dataResidency,
    effective: policies.intern(row.effective),
  };
}

/** The frameworks required of a VM at any layer, sorted (a key of its evaluation). */
export function requiredFrameworks(
  input: ComplianceInput,
  tenantLayer: PolicyLayer | undefined,
): ComplianceFramework[] {
  return [
    ...new Set<ComplianceFramework>([
      ...input.frameworks,
      ...(tenantLayer?.compliance?.frameworks ?? []),
      ...(profileLayer(input.profile)?.compliance?.frameworks ?? []),
    ]),
  ].sort();
}

/**
 * The controls are judged on the stored effective policy: it is what the host applied (a tenant
 * layer changed by a reload reaches a VM's enforcement with its next change). The frameworks are
 * every one required at any layer: the stored policy's, the VM's compliance block, and those its
 * tenant layer requires now, so that a tenant newly put under a framework is judged at once and
 * a VM's own list (which replaces the tenant's in the effective policy) cannot drop one.
 */
export function complianceSubject(
  input: ComplianceInput,
  tenantLayer: PolicyLayer | undefined,
  frameworks = requiredFrameworks(input, tenantLayer),
): ComplianceSubject {
  const stored = input.effective.interfaces;
  const interfaces =
    stored.length > 0
      ? stored.map((e) => ({ id: e.interfaceId, policy: e.policy }))
      : // A VM without interfaces: its VM-wide policy (profile and tenant layers).
        [
          {
            id: "vm",
            policy: resolvePolicy({ profile: input.profile, tenant: tenantLayer }).policy,
          },
        ];
  return {
    interfaces,
    facts: { profile: input.profile, dataResidency: input.dataResidency },
    frameworks,
  };
}
