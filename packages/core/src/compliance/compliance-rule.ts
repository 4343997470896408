// What a compliance rule is: one requirement of one framework, checked against a VM interface's
// effective policy (or the VM as a whole), with the fields that fix it and the kind of evidence
// that shows it is met.
import type { EventSeverity } from "../events/security-event.js";
import type {
  ComplianceFramework,
  SecurityPolicy,
  SecurityProfileName,
} from "../policy/security-policy.js";
import type { HostGap } from "./host-evidence.js";

/**
 * Where a met requirement's evidence comes from:
 * - host: a control the host enforces (nftables on the VM's port), so the host must be verified;
 * - control_plane: something metald itself does whatever the kernel (event retention, audit records,
 *   the profile a VM is given);
 * - declared: a requirement on the workload (TLS inside the guest, encrypted disks, where data
 *   lives) that no network host can observe: the configuration's declaration, with who made it,
 *   is the evidence, and an auditor verifies the workload.
 */
export type EvidenceKind = "host" | "control_plane" | "declared";

export type EncryptionRequirement = "in_transit" | "at_rest";

/** Facts about the VM as a whole (not one interface). */
export interface VmComplianceFacts {
  profile: SecurityProfileName;
  /** The compliance block's data_residency (seed 001); "" when not declared. */
  dataResidency: string;
}

export interface RuleCheck {
  ok: boolean;
  /** Which controls and values decided it, in words ("strict_ingress on, source guard on"). */
  detail: string;
  /** Host controls the requirement is met only through; met only if the host enforces them. */
  relies?: HostGap[];
  /** Encryption requirements found missing (for the encryption-violation metric). */
  missing?: EncryptionRequirement[];
}

export interface ComplianceRule {
  framework: ComplianceFramework;
  /** The framework's own numbering: "CC6.1", "1.1.4", "Art. 32(1)(a)", "A.8.22". */
  requirement: string;
  title: string;
  /** What is checked, for docs and reports. */
  description: string;
  severity: Extract<EventSeverity, "warning" | "error">;
  /**
   * The fields that fix a violation: IPv6SecurityConfig paths (ipv6_config.security,
   * security_overrides, UpdateVmNetworkSecurity) first, then the examples-guide form's.
   */
  fields: string[];
  evidence: EvidenceKind;
  /** Whether the requirement is about encryption (counted by the encryption metric too). */
  encryption?: boolean;
  /** "interface": checked on every interface's policy; "vm": once for the VM. */
  scope: "interface" | "vm";
  check(policy: SecurityPolicy, vm: VmComplianceFacts): RuleCheck;
}

/** "on"/"off" for a detail text. */
export const onOff = (value: boolean): string => (value ? "on" : "off");

const TLS_VERSIONS = ["1.0", "1.1", "1.2", "1.3"];

/** TLS 1.2 or later (PCI DSS since 2018, HIPAA and ISO guidance): "1.2", "TLS1.3", "TLSv1.2". */
export function tlsAtLeast12(version: string): boolean {
  const v = version.replace(/^tls\s*v?/i, "").trim();
  const index = TLS_VERSIONS.indexOf(v);
  return index === -1 ? v !== "" && Number(v) >= 1.2 : index >= 2;
}

/** The encryption-in-transit check shared by PCI DSS 4.1, HIPAA §164.312(e)(1), ISO A.8.24. */
export function tlsRequired(policy: SecurityPolicy): RuleCheck {
  const enc = policy.compliance.encryption;
  if (!enc.requireTls)
    return {
      ok: false,
      detail: "TLS is not required (encryption.require_tls off)",
      missing: ["in_transit"],
    };
  if (!tlsAtLeast12(enc.minTlsVersion))
    return {
      ok: false,
      detail: `TLS required from version ${enc.minTlsVersion || "(none)"}; 1.2 or later is needed`,
      missing: ["in_transit"],
    };
  return { ok: true, detail: `TLS required, version ${enc.minTlsVersion} or later` };
}

/** Security event retention of at least `days`. */
export function retentionAtLeast(policy: SecurityPolicy, days: number): RuleCheck {
  const kept = policy.compliance.dataRetentionDays;
  return kept >= days
    ? { ok: true, detail: `security events kept ${kept} days (at least ${days})` }
    : { ok: false, detail: `security events kept ${kept} days; at least ${days} are required` };
}

/**
 * RA guard, and what limits router advertisements to the VM: blocking them all and a list of
 * allowed routers are enforced; RA option filtering (block_config) is not, so a policy that
 * limits RAs by options alone relies on it.
 */
export function raGuardCheck(policy: SecurityPolicy): RuleCheck {
  const ra = policy.raGuard;
  if (!ra.enabled) return { ok: false, detail: "RA guard off (ra_guard.enabled)" };
  if (ra.blockAllRa) return { ok: true, detail: "RA guard on, every RA to the VM blocked" };
  if (ra.allowedRouters.length > 0)
    return {
      ok: true,
      detail: `RA guard on, RAs to the VM only from ${ra.allowedRouters.join(", ")}`,
    };
  const bc = ra.blockConfig;
  if (bc.blockPrefixInfo || bc.blockMtuOptions || bc.blockRouteInfo || bc.blockRdnss)
    return {
      ok: true,
      detail: "RA guard on, RAs to the VM limited by their options (block_config)",
      relies: ["ra_block_config"],
    };
  return { ok: true, detail: "RA guard on (RAs from the VM dropped)" };
}
