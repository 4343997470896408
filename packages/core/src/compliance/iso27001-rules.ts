// ISO/IEC 27001:2022 Annex A controls that a VM's network policy decides.
import {
  type ComplianceRule,
  onOff,
  raGuardCheck,
  retentionAtLeast,
  tlsRequired,
} from "./compliance-rule.js";
import { extensionHeaderFiltering, securityLogging } from "./soc2-rules.js";

export const ISO27001_RULES: ComplianceRule[] = [
  {
    framework: "ISO27001",
    requirement: "A.5.33",
    title: "Protection of records: retention",
    description: "Security events are kept at least 365 days.",
    severity: "warning",
    fields: ["compliance.data_retention_days"],
    evidence: "control_plane",
    scope: "interface",
    check: (policy) => retentionAtLeast(policy, 365),
  },
  {
    framework: "ISO27001",
    requirement: "A.8.6",
    title: "Capacity management: rate limits",
    description: "The VM's packet rate or bandwidth is limited.",
    severity: "warning",
    fields: [
      "rate_limits.max_pps_per_vm",
      "rate_limits.max_bandwidth_per_vm",
      "network[].security_policy.packet_rate_limit",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const { maxPpsPerVm, maxBandwidthPerVm } = policy.rateLimits;
      return maxPpsPerVm > 0 || maxBandwidthPerVm > 0
        ? { ok: true, detail: `${maxPpsPerVm} packets/s, ${maxBandwidthPerVm} bytes/s (0: none)` }
        : { ok: false, detail: "no packet rate or bandwidth limit" };
    },
  },
  {
    framework: "ISO27001",
    requirement: "A.8.15",
    title: "Logging",
    description: "Security events are logged and changes audited.",
    severity: "error",
    fields: [
      "monitoring.enable_security_logging",
      "compliance.audit_config.enabled",
      "network[].security_policy.log_security_events",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const logging = securityLogging(policy);
      const audit = policy.compliance.audit.enabled;
      return {
        ok: logging.ok && audit,
        detail: `${logging.detail}, audit logging ${onOff(audit)}`,
      };
    },
  },
  {
    framework: "ISO27001",
    requirement: "A.8.20",
    title: "Networks security: first-hop controls",
    description: "RA guard, source guard and extension-header filtering are on for the VM's port.",
    severity: "error",
    fields: ["ra_guard.enabled", "source_validation.source_guard", "extension_headers.mode"],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const ra = raGuardCheck(policy);
      const sg = policy.sourceValidation.sourceGuard;
      const eh = extensionHeaderFiltering(policy);
      return {
        ok: ra.ok && sg && eh.ok,
        detail: `${ra.detail}; source guard ${onOff(sg)}; ${eh.detail}`,
        relies: [...(ra.relies ?? []), ...(eh.relies ?? [])],
      };
    },
  },
  {
    framework: "ISO27001",
    requirement: "A.8.22",
    title: "Segregation of networks",
    description:
      "Other tenants cannot reach the VM (inter-tenant traffic blocked); a VLAN the configuration asks for must exist on the host.",
    severity: "error",
    fields: [
      "isolation.inter_tenant_policy",
      "isolation.customer_vlan",
      "network[].security_policy.tenant_isolation_level",
      "network[].vlan_id",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const iso = policy.isolation;
      const vlans = [iso.customerVlan, ...iso.additionalVlans].filter((v) => v > 0);
      return {
        ok: iso.interTenantPolicy === "BLOCK_ALL",
        detail: `inter-tenant ${iso.interTenantPolicy}${vlans.length > 0 ? `, VLAN ${vlans.join(", ")}` : ""}`,
        relies: vlans.length > 0 ? ["vlan"] : [],
      };
    },
  },
  {
    framework: "ISO27001",
    requirement: "A.8.24",
    title: "Use of cryptography",
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
];
