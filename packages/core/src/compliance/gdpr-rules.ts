// GDPR: storage limitation, accountability, security of processing (Art. 32) and transfers.
import type { SecurityPolicy } from "../policy/security-policy.js";
import {
  type ComplianceRule,
  type EncryptionRequirement,
  onOff,
  raGuardCheck,
} from "./compliance-rule.js";

/**
 * The longest retention storage limitation accepts: GDPR names no number, so metald takes the
 * guides' own longest retention (2,555 days, 7 years) as the bound of what security monitoring
 * needs.
 */
export const GDPR_MAX_RETENTION_DAYS = 2_555;

function encryptionBoth(policy: SecurityPolicy) {
  const enc = policy.compliance.encryption;
  const missing: EncryptionRequirement[] = [];
  if (!enc.requireTls) missing.push("in_transit");
  if (!enc.requireEncryptionAtRest) missing.push("at_rest");
  return {
    ok: missing.length === 0,
    detail: `TLS required ${onOff(enc.requireTls)}, encryption at rest required ${onOff(enc.requireEncryptionAtRest)}`,
    missing,
  };
}

export const GDPR_RULES: ComplianceRule[] = [
  {
    framework: "GDPR",
    requirement: "Art. 5(1)(e)",
    title: "Storage limitation: bounded retention",
    description: `Security events (which carry personal data such as addresses) are kept no longer than ${GDPR_MAX_RETENTION_DAYS} days.`,
    severity: "warning",
    fields: ["compliance.data_retention_days"],
    evidence: "control_plane",
    scope: "interface",
    check(policy) {
      const days = policy.compliance.dataRetentionDays;
      return days <= GDPR_MAX_RETENTION_DAYS
        ? { ok: true, detail: `security events kept ${days} days` }
        : {
            ok: false,
            detail: `security events kept ${days} days; at most ${GDPR_MAX_RETENTION_DAYS}`,
          };
    },
  },
  {
    framework: "GDPR",
    requirement: "Art. 5(2)",
    title: "Accountability: audit logging",
    description: "Changes to the VM are audited (compliance.audit_config.enabled).",
    severity: "error",
    fields: ["compliance.audit_config.enabled", "config.compliance.audit_logging"],
    evidence: "control_plane",
    scope: "interface",
    check(policy) {
      const on = policy.compliance.audit.enabled;
      return { ok: on, detail: `audit logging ${onOff(on)}` };
    },
  },
  {
    framework: "GDPR",
    requirement: "Art. 32(1)(a)",
    title: "Encryption of personal data",
    description:
      "The configuration requires encryption in transit (TLS) and at rest (declared for the workload).",
    severity: "error",
    fields: [
      "compliance.encryption.require_tls",
      "compliance.encryption.require_encryption_at_rest",
      "config.compliance.encryption_required",
    ],
    evidence: "declared",
    encryption: true,
    scope: "interface",
    check: encryptionBoth,
  },
  {
    framework: "GDPR",
    requirement: "Art. 32(1)(b)",
    title: "Confidentiality and integrity of systems",
    description:
      "The VM cannot spoof addresses or routers and other tenants cannot reach it: source guard on, RA guard on, inter-tenant traffic blocked.",
    severity: "error",
    fields: [
      "source_validation.source_guard",
      "ra_guard.enabled",
      "isolation.inter_tenant_policy",
      "network[].security_policy.tenant_isolation_level",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const sg = policy.sourceValidation.sourceGuard;
      const ra = raGuardCheck(policy);
      const blocked = policy.isolation.interTenantPolicy === "BLOCK_ALL";
      return {
        ok: sg && ra.ok && blocked,
        detail: `source guard ${onOff(sg)}; ${ra.detail}; inter-tenant ${policy.isolation.interTenantPolicy}`,
        relies: ra.relies,
      };
    },
  },
  {
    framework: "GDPR",
    requirement: "Art. 44",
    title: "Transfers: data residency declared",
    description:
      "The VM declares where its data resides (the compliance block's data_residency), so transfers can be assessed.",
    severity: "warning",
    fields: ["config.compliance.data_residency"],
    evidence: "declared",
    scope: "vm",
    check(_policy, vm) {
      return vm.dataResidency === ""
        ? { ok: false, detail: "no data residency declared" }
        : { ok: true, detail: `data residency ${vm.dataResidency}` };
    },
  },
];
