// HIPAA Security Rule (45 CFR 164): technical safeguards of §164.312 and retention of §164.316.
import {
  type ComplianceRule,
  onOff,
  raGuardCheck,
  retentionAtLeast,
  tlsRequired,
} from "./compliance-rule.js";

/** §164.316(b)(2)(i): six years. */
export const HIPAA_RETENTION_DAYS = 2_190;

export const HIPAA_RULES: ComplianceRule[] = [
  {
    framework: "HIPAA",
    requirement: "§164.312(a)(2)(iv)",
    title: "Encryption at rest",
    description:
      "The configuration requires encryption at rest (declared for the workload's disks).",
    severity: "error",
    fields: ["compliance.encryption.require_encryption_at_rest"],
    evidence: "declared",
    encryption: true,
    scope: "interface",
    check(policy) {
      const on = policy.compliance.encryption.requireEncryptionAtRest;
      return on
        ? { ok: true, detail: "encryption at rest required" }
        : { ok: false, detail: "encryption at rest not required", missing: ["at_rest"] };
    },
  },
  {
    framework: "HIPAA",
    requirement: "§164.312(b)",
    title: "Audit controls",
    description: "Changes are audited and security events logged.",
    severity: "error",
    fields: [
      "compliance.audit_config.enabled",
      "monitoring.enable_security_logging",
      "config.compliance.audit_logging",
    ],
    // Security events come from the kernel's counters: the host must be verified.
    evidence: "host",
    scope: "interface",
    check(policy) {
      const audit = policy.compliance.audit.enabled;
      const logging = policy.monitoring.enableSecurityLogging;
      return {
        ok: audit && logging,
        detail: `audit logging ${onOff(audit)}, security logging ${onOff(logging)}`,
      };
    },
  },
  {
    framework: "HIPAA",
    requirement: "§164.312(c)(1)",
    title: "Integrity: RA guard and source validation",
    description:
      "The VM cannot forge sources or act as a router for its neighbours: source guard and RA guard on.",
    severity: "error",
    fields: [
      "source_validation.source_guard",
      "ra_guard.enabled",
      "network[].ipv6.security.enable_source_guard",
      "network[].ipv6.security.enable_ra_guard",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const sg = policy.sourceValidation.sourceGuard;
      const ra = raGuardCheck(policy);
      return {
        ok: sg && ra.ok,
        detail: `source guard ${onOff(sg)}; ${ra.detail}`,
        relies: ra.relies,
      };
    },
  },
  {
    framework: "HIPAA",
    requirement: "§164.312(e)(1)",
    title: "Transmission security",
    description: "The configuration requires TLS 1.2 or later for the VM's traffic.",
    severity: "error",
    fields: [
      "compliance.encryption.require_tls",
      "compliance.encryption.min_tls_version",
      "config.compliance.encryption_required",
    ],
    evidence: "declared",
    encryption: true,
    scope: "interface",
    check: tlsRequired,
  },
  {
    framework: "HIPAA",
    requirement: "§164.316(b)(2)(i)",
    title: "Retention for six years",
    description: `Security events are kept at least ${HIPAA_RETENTION_DAYS} days.`,
    severity: "warning",
    fields: ["compliance.data_retention_days"],
    evidence: "control_plane",
    scope: "interface",
    check: (policy) => retentionAtLeast(policy, HIPAA_RETENTION_DAYS),
  },
];
