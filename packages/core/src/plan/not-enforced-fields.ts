// Which accepted fields in force on a VM nothing on this host acts on, and why: the answer to
// "is what the API shows back actually enforced?" (docs/enforcement.md, "Fields: acts,
// refused, or reported"). Pure: the host's facts (driver, probed capabilities, each bridge's
// MLD snooping as the kernel has it) are passed in.
import { portGuardOf } from "../bpf/port-guard.js";
import type { PolicySource } from "../policy/resolve-policy.js";
import type { SecurityPolicy } from "../policy/security-policy.js";
import { DEFAULT_POLICY } from "../policy/security-profiles.js";
import type { VmSpec } from "../policy/vm-spec.js";
import { tenantBridgeName } from "./device-names.js";
import { NOT_ENFORCED_REASONS, vlanReason } from "./not-enforced-reasons.js";

export interface HostEnforcementFacts {
  driver: "linux" | "sandbox" | "dry-run";
  vlanDevices: boolean;
  bridgeVlanFiltering: boolean;
  /** The eBPF port guard loads (RA option filtering and max_chain_length are enforced). */
  portGuard: boolean;
  /** A bridge's multicast snooping as the kernel has it; undefined when not known (yet). */
  bridgeMldSnooping: (bridge: string) => boolean | undefined;
}

export interface NotEnforcedField {
  /** Path in the effective configuration ("isolation.customer_vlan", "ipv6.gateway"). */
  field: string;
  /** Empty for VM-wide fields. */
  interfaceId: string;
  reason: string;
  /**
   * The layer that set the value ("request" for interface and VM-wide fields); empty when the
   * caller passed no sources.
   */
  source: PolicySource | "";
  /** The value, as JSON. */
  value: string;
}

export interface EffectiveInterfacePolicy {
  policy: SecurityPolicy;
  /** Leaf path ("isolation.customerVlan") → the layer that set it. */
  sources?: Record<string, PolicySource>;
}

const json = (value: unknown) => JSON.stringify(value);

/** The bridge an interface's port joins (as compileHostPlan chooses it). */
export function bridgeOf(policy: SecurityPolicy, tenantId: string): string {
  return policy.isolation.bridgeInterface || tenantBridgeName(tenantId);
}

/** Every field of the VM's effective configuration that this host does not enforce. */
export function notEnforcedFields(
  spec: VmSpec,
  effective: readonly EffectiveInterfacePolicy[],
  host: HostEnforcementFacts,
): NotEnforcedField[] {
  const out: NotEnforcedField[] = [];
  spec.interfaces.forEach((iface, i) => {
    const entry = effective[i];
    if (!entry) return;
    const { policy } = entry;
    const add = (field: string, source: string | undefined, value: unknown, reason: string) =>
      out.push({
        field,
        interfaceId: iface.id,
        reason,
        source: source === undefined ? "request" : (entry.sources?.[source] ?? ""),
        value: json(value),
      });
    const iso = policy.isolation;
    const vlan = vlanReason(host);
    if (vlan !== undefined && iso.customerVlan > 0)
      add("isolation.customer_vlan", "isolation.customerVlan", iso.customerVlan, vlan);
    if (vlan !== undefined && iso.additionalVlans.length > 0)
      add("isolation.additional_vlans", "isolation.additionalVlans", iso.additionalVlans, vlan);
    if (iface.vlanPriority > 0)
      add(
        "interface.vlan.priority",
        undefined,
        iface.vlanPriority,
        NOT_ENFORCED_REASONS.vlanPriority,
      );
    if (!host.portGuard) {
      const block = policy.raGuard.blockConfig;
      const guard = portGuardOf(policy);
      for (const [field, on] of [
        ["block_prefix_info", block.blockPrefixInfo],
        ["block_mtu_options", block.blockMtuOptions],
        ["block_route_info", block.blockRouteInfo],
        ["block_rdnss", block.blockRdnss],
      ] as const)
        if (on && guard)
          add(
            `ra_guard.block_config.${field}`,
            `raGuard.blockConfig.${field.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}`,
            true,
            NOT_ENFORCED_REASONS.portGuard,
          );
      if (policy.extensionHeaders.maxChainLength > 0)
        add(
          "extension_headers.max_chain_length",
          "extensionHeaders.maxChainLength",
          policy.extensionHeaders.maxChainLength,
          NOT_ENFORCED_REASONS.portGuard,
        );
    }
    const bridge = bridgeOf(policy, spec.tenantId);
    const snooping = host.bridgeMldSnooping(bridge);
    if (snooping !== undefined && snooping !== iso.enableMldSnooping)
      add(
        "isolation.enable_mld_snooping",
        "isolation.enableMldSnooping",
        iso.enableMldSnooping,
        `bridge ${bridge} has multicast snooping ${snooping ? "on" : "off"}, set when it was created (by the first VM on it); a bridge in use is not changed by a later VM`,
      );
    if (iso.networkNamespace !== "")
      add(
        "isolation.network_namespace",
        "isolation.networkNamespace",
        iso.networkNamespace,
        NOT_ENFORCED_REASONS.networkNamespace,
      );
    const sv = policy.sourceValidation;
    if (sv.strictIngress && sv.allowedIngressPrefixes.length === 0 && !sv.sourceGuard)
      add(
        "source_validation.strict_ingress",
        "sourceValidation.strictIngress",
        true,
        NOT_ENFORCED_REASONS.strictWithoutPrefixes,
      );
    if (sv.strictEgress && sv.allowedEgressPrefixes.length === 0 && !sv.sourceGuard)
      add(
        "source_validation.strict_egress",
        "sourceValidation.strictEgress",
        true,
        NOT_ENFORCED_REASONS.strictWithoutPrefixes,
      );
    if (sv.reversePathFiltering && !sv.sourceGuard)
      add(
        "source_validation.reverse_path_filtering",
        "sourceValidation.reversePathFiltering",
        true,
        NOT_ENFORCED_REASONS.reversePathFiltering,
      );
    const rl = policy.rateLimits;
    if (rl.method !== "TOKEN_BUCKET")
      add("rate_limits.method", "rateLimits.method", rl.method, NOT_ENFORCED_REASONS.method);
    if (rl.burst.recoveryS > 0)
      add(
        "rate_limits.burst_config.recovery_time_s",
        "rateLimits.burst.recoveryS",
        rl.burst.recoveryS,
        NOT_ENFORCED_REASONS.recoveryTime,
      );
    const mon = policy.monitoring;
    if (!mon.enableMetrics)
      add(
        "monitoring.enable_metrics",
        "monitoring.enableMetrics",
        false,
        NOT_ENFORCED_REASONS.enableMetrics,
      );
    // The built-in 10 s is what every VM shows; only another value is someone's request.
    if (mon.metricsIntervalS !== DEFAULT_POLICY.monitoring.metricsIntervalS)
      add(
        "monitoring.metrics_interval_s",
        "monitoring.metricsIntervalS",
        mon.metricsIntervalS,
        NOT_ENFORCED_REASONS.metricsInterval,
      );
    const siemDefaults = DEFAULT_POLICY.monitoring.siem;
    if (
      mon.siem.enabled ||
      mon.siem.endpoint !== "" ||
      mon.siem.logFormat !== siemDefaults.logFormat
    )
      add(
        "monitoring.siem_config",
        "monitoring.siem.enabled",
        { enabled: mon.siem.enabled, endpoint: mon.siem.endpoint, log_format: mon.siem.logFormat },
        NOT_ENFORCED_REASONS.siem,
      );
    if (policy.rules.deepPacketInspection)
      add(
        "security_policy.enable_deep_packet_inspection",
        "rules.deepPacketInspection",
        true,
        NOT_ENFORCED_REASONS.deepPacketInspection,
      );
    const audit = policy.compliance.audit;
    const defaults = DEFAULT_POLICY.compliance.audit;
    if (audit.logDestination !== "")
      add(
        "compliance.audit_config.log_destination",
        "compliance.audit.logDestination",
        audit.logDestination,
        NOT_ENFORCED_REASONS.auditDestination,
      );
    if (audit.includePerformanceData)
      add(
        "compliance.audit_config.include_performance_data",
        "compliance.audit.includePerformanceData",
        true,
        NOT_ENFORCED_REASONS.auditPerformanceData,
      );
    if (audit.encryptLogs !== defaults.encryptLogs)
      add(
        "compliance.audit_config.encrypt_logs",
        "compliance.audit.encryptLogs",
        audit.encryptLogs,
        NOT_ENFORCED_REASONS.auditEncryption,
      );
    const ciphers = policy.compliance.encryption.allowedCiphers;
    if (ciphers.length > 0)
      add(
        "compliance.encryption.allowed_ciphers",
        "compliance.encryption.allowedCiphers",
        ciphers,
        NOT_ENFORCED_REASONS.allowedCiphers,
      );
    if (iface.gateway !== "" && host.driver !== "sandbox")
      add(
        "ipv6.gateway",
        undefined,
        iface.gateway,
        host.driver === "linux"
          ? NOT_ENFORCED_REASONS.gatewayLinux
          : NOT_ENFORCED_REASONS.gatewayDryRun,
      );
    if (iface.dnsServers.length > 0)
      add("ipv6.dns_servers", undefined, iface.dnsServers, NOT_ENFORCED_REASONS.dnsServers);
    if (iface.enablePrivacyExtensions)
      add("ipv6.enable_privacy_extensions", undefined, true, NOT_ENFORCED_REASONS.privacy);
    if (iface.enableStablePrivacy)
      add("ipv6.enable_stable_privacy", undefined, true, NOT_ENFORCED_REASONS.privacy);
    if (iface.tempValidLifetime > 0)
      add(
        "ipv6.temp_valid_lifetime",
        undefined,
        iface.tempValidLifetime,
        NOT_ENFORCED_REASONS.privacy,
      );
  });
  const vmWide = (field: string, value: unknown, reason: string) =>
    out.push({ field, interfaceId: "", reason, source: "request", value: json(value) });
  if (spec.securityGroups.length > 0)
    vmWide(
      "security_profile.security_groups",
      spec.securityGroups,
      NOT_ENFORCED_REASONS.securityGroups,
    );
  const { vcpuCount, maxVcpuCount } = spec.resources;
  if (maxVcpuCount > vcpuCount)
    vmWide("cpu.max_vcpu_count", maxVcpuCount, NOT_ENFORCED_REASONS.maxVcpus);
  if (spec.microsegmentation)
    vmWide(
      "security_profile.enable_network_microsegmentation",
      true,
      NOT_ENFORCED_REASONS.microsegmentation,
    );
  return out;
}
