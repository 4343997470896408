// Why each field notEnforcedFields reports is not enforced, and the fields no VM can have
// enforced on a host whatever its values (what `metald precheck` lists).
import type { HostEnforcementFacts } from "./not-enforced-fields.js";

/** Each reportable field's reason, where it does not depend on the VM. */
export const NOT_ENFORCED_REASONS = {
  vlan: "metald programs VLANs as bridge VLANs, which need bridge VLAN filtering; tenants are separated by their own bridge and the per-tenant frame mark instead",
  vlanPriority:
    "an 802.1p priority travels in a VLAN tag, and metald sends the VM's frames untagged",
  portGuard:
    "the eBPF port guard does not load on this host (metald precheck says why): RA options and extension-header chains are not walked",
  networkNamespace:
    "a VM's network side is its own namespace (sandbox) or its own tap (linux); a named namespace is not created",
  reversePathFiltering:
    "reverse path filtering of a VM port is the source guard, and the source guard is off",
  strictWithoutPrefixes:
    "without a prefix list this is source validation (BCP 38), which is the source guard, and the source guard is off",
  method:
    "every rate limit is an nftables token bucket; LEAKY_BUCKET and SLIDING_WINDOW are approximated by it",
  recoveryTime:
    "a token bucket refills continuously at its rate; there is no separate recovery period after a burst",
  enableMetrics:
    "metrics are exported for every VM whose counters moved; they cannot be turned off per VM",
  metricsInterval:
    "counters are read for every VM at the host's METALD_EVENT_POLL_MS; there is no per-VM interval",
  siem: "SIEM forwarding is the host configuration's (siem_integrations, METALD_SIEM_*); a VM's own SIEM settings are not used",
  deepPacketInspection:
    "no deep packet inspection on this host: nftables rules match headers, and this kernel has no nft `queue` to hand packets to an inspector",
  dnsServers:
    "a guest setting: metald sends no router advertisements (RDNSS) or DHCPv6 and does not write the guest's resolver configuration",
  privacy:
    "a guest setting metald does not configure; the source guard drops addresses metald did not assign",
  gatewayLinux:
    "the guest (a VM) configures its own default route; metald sends no router advertisements or DHCPv6 to hand it",
  gatewayDryRun: "the dry-run driver programs nothing",
  securityGroups:
    "no security-group objects exist on this host; a VM's traffic is filtered by its ingress_rules/egress_rules",
  microsegmentation:
    "no separate control: segmentation is the VM's rule lists and inter_tenant_policy",
  maxVcpus:
    "the VM runs with vcpu_count: Firecracker adds no vCPUs to a running guest, so a higher maximum has no use",
  auditDestination:
    "the audit trail is the host's (audit_config.log_destination in the host configuration); a VM's destination is not used",
  auditPerformanceData: "audit records carry no performance data",
  auditEncryption:
    "audit records are encrypted or not for the whole host (audit_config.encrypt_logs in the host configuration), not per VM",
  allowedCiphers:
    "TLS runs inside the guest: metald neither sees nor restricts its cipher suites (min_tls_version and require_tls are compliance declarations)",
} as const;

/** Why VLAN ids are not programmed here; undefined where they are (bridge VLAN filtering). */
export function vlanReason(
  host: Pick<HostEnforcementFacts, "bridgeVlanFiltering">,
): string | undefined {
  return host.bridgeVlanFiltering
    ? undefined
    : `this host has no bridge VLAN filtering; ${NOT_ENFORCED_REASONS.vlan}`;
}

/**
 * The fields no VM can have enforced on this host, whatever its values (for `metald precheck`):
 * VLAN fields by the probed capabilities, the rest by what metald does not do.
 */
export function fieldsNotEnforcedOnHost(
  host: Omit<HostEnforcementFacts, "bridgeMldSnooping">,
): { field: string; reason: string }[] {
  const r = NOT_ENFORCED_REASONS;
  const vlan = vlanReason(host);
  const guard = host.portGuard
    ? []
    : [
        "ra_guard.block_config.block_prefix_info",
        "ra_guard.block_config.block_mtu_options",
        "ra_guard.block_config.block_route_info",
        "ra_guard.block_config.block_rdnss",
        "extension_headers.max_chain_length",
      ].map((field) => ({ field, reason: r.portGuard }));
  return [
    ...guard,
    ...(vlan === undefined
      ? []
      : [
          { field: "isolation.customer_vlan", reason: vlan },
          { field: "isolation.additional_vlans", reason: vlan },
        ]),
    { field: "interface.vlan.priority", reason: r.vlanPriority },
    { field: "isolation.network_namespace", reason: r.networkNamespace },
    { field: "rate_limits.method", reason: r.method },
    { field: "rate_limits.burst_config.recovery_time_s", reason: r.recoveryTime },
    { field: "monitoring.enable_metrics", reason: r.enableMetrics },
    { field: "monitoring.metrics_interval_s", reason: r.metricsInterval },
    { field: "monitoring.siem_config", reason: r.siem },
    { field: "security_policy.enable_deep_packet_inspection", reason: r.deepPacketInspection },
    ...(host.driver === "sandbox"
      ? []
      : [
          {
            field: "ipv6.gateway",
            reason: host.driver === "linux" ? r.gatewayLinux : r.gatewayDryRun,
          },
        ]),
    { field: "ipv6.dns_servers", reason: r.dnsServers },
    { field: "ipv6.enable_privacy_extensions", reason: r.privacy },
    { field: "ipv6.enable_stable_privacy", reason: r.privacy },
    { field: "ipv6.temp_valid_lifetime", reason: r.privacy },
    { field: "security_profile.security_groups", reason: r.securityGroups },
    { field: "security_profile.enable_network_microsegmentation", reason: r.microsegmentation },
    { field: "cpu.max_vcpu_count", reason: r.maxVcpus },
    { field: "compliance.audit_config.log_destination", reason: r.auditDestination },
    { field: "compliance.audit_config.include_performance_data", reason: r.auditPerformanceData },
    { field: "compliance.audit_config.encrypt_logs", reason: r.auditEncryption },
    { field: "compliance.encryption.allowed_ciphers", reason: r.allowedCiphers },
  ];
}
