// SOC 2 (Trust Services Criteria): the guide's CC6.1, CC6.7 and CC7.2, and CC6.6.
import type { SecurityPolicy } from "../policy/security-policy.js";
import { type ComplianceRule, onOff, type RuleCheck, raGuardCheck } from "./compliance-rule.js";

/**
 * Extension-header filtering: BLOCK_ALL or SELECTIVE are enforced; ALLOW_ALL restricted only by
 * max_chain_length relies on the eBPF port guard, which some hosts cannot load.
 */
export function extensionHeaderFiltering(policy: SecurityPolicy): RuleCheck {
  const eh = policy.extensionHeaders;
  if (eh.mode === "BLOCK_ALL") return { ok: true, detail: "extension headers blocked" };
  if (eh.mode === "SELECTIVE")
    return {
      ok: true,
      detail: `extension headers limited to types [${eh.allowedTypes.join(", ")}]`,
    };
  if (eh.maxChainLength > 0)
    return {
      ok: true,
      detail: `every extension header allowed, chains limited to ${eh.maxChainLength}`,
      relies: ["eh_max_chain_length"],
    };
  return { ok: false, detail: "every extension header allowed (extension_headers.mode ALLOW_ALL)" };
}

/** Security events from the kernel's counters and packet samples are on. */
export function securityLogging(policy: SecurityPolicy): RuleCheck {
  const on = policy.monitoring.enableSecurityLogging && policy.rules.logSecurityEvents;
  return {
    ok: on,
    detail: `security logging ${onOff(policy.monitoring.enableSecurityLogging)}, rule events ${onOff(policy.rules.logSecurityEvents)}`,
  };
}

export const SOC2_RULES: ComplianceRule[] = [
  {
    framework: "SOC2",
    requirement: "CC6.1",
    title: "Logical access: strict ingress filtering",
    description:
      "Traffic entering the network from the VM is validated: strict ingress filtering with the source guard (only the VM's own addresses are accepted from its port).",
    severity: "error",
    fields: [
      "source_validation.strict_ingress",
      "source_validation.source_guard",
      "network[].ipv6.security.strict_source_validation",
      "network[].ipv6.security.enable_source_guard",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const sv = policy.sourceValidation;
      return {
        ok: sv.strictIngress && sv.sourceGuard,
        detail: `strict_ingress ${onOff(sv.strictIngress)}, source guard ${onOff(sv.sourceGuard)}`,
      };
    },
  },
  {
    framework: "SOC2",
    requirement: "CC6.6",
    title: "Boundary protection: RA guard and extension-header filtering",
    description:
      "Threats from outside the VM's boundary are kept out: RA guard on and extension headers filtered (BLOCK_ALL or SELECTIVE).",
    severity: "error",
    fields: [
      "ra_guard.enabled",
      "extension_headers.mode",
      "network[].ipv6.security.enable_ra_guard",
      "network[].ipv6.security.block_routing_header",
    ],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const ra = raGuardCheck(policy);
      const eh = extensionHeaderFiltering(policy);
      return {
        ok: ra.ok && eh.ok,
        detail: `${ra.detail}; ${eh.detail}`,
        relies: [...(ra.relies ?? []), ...(eh.relies ?? [])],
      };
    },
  },
  {
    framework: "SOC2",
    requirement: "CC6.7",
    title: "Transmission restricted: bandwidth limit configured",
    description: "The VM's bandwidth is limited (rate_limits.max_bandwidth_per_vm above 0).",
    severity: "warning",
    fields: ["rate_limits.max_bandwidth_per_vm", "network[].security_policy.bandwidth_limit_mbps"],
    evidence: "host",
    scope: "interface",
    check(policy) {
      const bytes = policy.rateLimits.maxBandwidthPerVm;
      return bytes > 0
        ? { ok: true, detail: `bandwidth limited to ${bytes} bytes/s` }
        : { ok: false, detail: "no bandwidth limit (rate_limits.max_bandwidth_per_vm 0)" };
    },
  },
  {
    framework: "SOC2",
    requirement: "CC7.2",
    title: "System monitoring: security logging",
    description:
      "Security events are logged: monitoring.enable_security_logging and the rule lists' log_security_events on.",
    severity: "error",
    fields: ["monitoring.enable_security_logging", "network[].security_policy.log_security_events"],
    evidence: "host",
    scope: "interface",
    check: securityLogging,
  },
];
