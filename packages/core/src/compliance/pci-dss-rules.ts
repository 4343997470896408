// PCI DSS (v3.2.1 numbering, as the guide uses): the guide's 1.1.4, 2.1 and 4.1, with
// anti-spoofing (1.3.3) and audit trails (10.2, 10.7).
import { type ComplianceRule, onOff, retentionAtLeast, tlsRequired } from "./compliance-rule.js";

export const PCI_DSS_RULES: ComplianceRule[] = [
  {
    framework: "PCI_DSS",
    requirement: "1.1.4",
    title: "Firewall: egress filtering",
    description:
      "Traffic leaving the VM is filtered: strict_egress on, enforced by the source guard or an allowed_egress_prefixes list.",
    severity: "error",
    fields: [
      "source_validation.strict_egress",
      "source_validation.allowed_egress_prefixes",
      "network[].ipv6.security.strict_source_validation",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const sv = policy.sourceValidation;
      const enforcedBy =
        sv.allowedEgressPrefixes.length > 0
          ? `egress prefixes ${sv.allowedEgressPrefixes.join(", ")}`
          : `source guard ${onOff(sv.sourceGuard)}`;
      return {
        ok: sv.strictEgress && (sv.sourceGuard || sv.allowedEgressPrefixes.length > 0),
        detail: `strict_egress ${onOff(sv.strictEgress)}, ${enforcedBy}`,
      };
    },
  },
  {
    framework: "PCI_DSS",
    requirement: "1.3.3",
    title: "Anti-spoofing",
    description: "Forged source addresses from the VM are blocked: the source guard is on.",
    severity: "error",
    fields: ["source_validation.source_guard", "network[].ipv6.security.enable_source_guard"],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const on = policy.sourceValidation.sourceGuard;
      return { ok: on, detail: `source guard ${onOff(on)}` };
    },
  },
  {
    framework: "PCI_DSS",
    requirement: "2.1",
    title: "No vendor-supplied defaults: not the LOW profile",
    description:
      "The VM does not use the LOW security profile (the development default, with most controls off).",
    severity: "error",
    fields: ["profile", "config.security_profile.profile_name"],
    evidence: "control_plane",
    scope: "vm",
    check(_policy, vm) {
      return vm.profile === "LOW"
        ? { ok: false, detail: "security profile LOW" }
        : { ok: true, detail: `security profile ${vm.profile}` };
    },
  },
  {
    framework: "PCI_DSS",
    requirement: "4.1",
    title: "Strong cryptography in transit: TLS required",
    description:
      "The configuration requires TLS 1.2 or later for the VM's traffic (the workload's TLS is declared, not observable by the host).",
    severity: "error",
    fields: [
      "compliance.encryption.require_tls",
      "compliance.encryption.min_tls_version",
      "config.compliance.encryption_required",
      "config.security_profile.require_encrypted_traffic",
    ],
    evidence: "declared",
    encryption: true,
    scope: "interface",
    check: tlsRequired,
  },
  {
    framework: "PCI_DSS",
    requirement: "10.2",
    title: "Audit trails",
    description: "Audit logging is on for the VM (compliance.audit_config.enabled).",
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
    framework: "PCI_DSS",
    requirement: "10.7",
    title: "Audit history kept at least one year",
    description: "Security events are kept at least 365 days (compliance.data_retention_days).",
    severity: "error",
    fields: ["compliance.data_retention_days"],
    evidence: "control_plane",
    scope: "interface",
    check: (policy) => retentionAtLeast(policy, 365),
  },
];
