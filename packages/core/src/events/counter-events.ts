// Turns movements of the kernel's exact per-VM counters into security events: one event per VM
// and control per polling interval, carrying the packet count, so a flood of 100,000 packets
// becomes a handful of events while the counters stay exact.
import type { EventSeverity } from "./security-event.js";

interface EventKind {
  eventType: string;
  severity: EventSeverity;
  describe: (count: number) => string;
  details: Record<string, string>;
}

const kind = (
  eventType: string,
  severity: EventSeverity,
  what: string,
  details: Record<string, string> = {},
): EventKind => ({
  eventType,
  severity,
  describe: (n) => `${n} ${what}`,
  details,
});

/** Counter set → event kind. Sets not listed (accept-side counters) raise no events. */
export const COUNTER_EVENT_KINDS: Record<string, EventKind> = {
  ra_guard: kind(
    "ra_guard_block",
    "warning",
    "router advertisements from the VM blocked by RA guard",
  ),
  ra_guard_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements from routers the VM does not allow blocked",
  ),
  nd_frag_guard: kind(
    "ra_guard_block",
    "warning",
    "fragmented neighbor discovery packets blocked (RFC 6980)",
  ),
  redirect_guard: kind("ra_guard_block", "warning", "ICMPv6 redirects from the VM blocked"),
  dhcp_guard: kind(
    "ra_guard_block",
    "warning",
    "DHCPv6 server messages from the VM blocked (RFC 7610)",
  ),
  source_guard: kind(
    "source_spoofing",
    "critical",
    "packets with a source address the VM does not own dropped",
  ),
  nd_guard: kind(
    "nd_spoofing",
    "error",
    "neighbor advertisements for addresses the VM does not own dropped",
  ),
  dad_guard: kind(
    "nd_spoofing",
    "error",
    "duplicate address detection probes for addresses the VM does not own dropped",
    { reason: "dad_probe" },
  ),
  egress_prefix_drops: kind(
    "source_validation_failure",
    "warning",
    "packets to destinations outside allowed_egress_prefixes dropped",
  ),
  ingress_prefix_drops: kind(
    "source_validation_failure",
    "warning",
    "packets from sources outside allowed_ingress_prefixes dropped",
  ),
  destination_drops: kind(
    "source_validation_failure",
    "warning",
    "packets to destinations outside allowed_destinations dropped",
  ),
  private_drops: kind(
    "source_validation_failure",
    "warning",
    "packets to or from private address ranges dropped",
  ),
  rl_nd_drops: kind(
    "nd_rate_limit_exceeded",
    "warning",
    "neighbor discovery packets over nd_rate_limit dropped",
    { limit_type: "nd" },
  ),
  rl_icmpv6_drops: kind(
    "rate_limit_exceeded",
    "warning",
    "ICMPv6 packets over icmpv6_rate_limit dropped",
    { limit_type: "icmpv6" },
  ),
  rl_multicast_drops: kind(
    "rate_limit_exceeded",
    "warning",
    "multicast packets over multicast_rate_limit dropped",
    { limit_type: "multicast" },
  ),
  rl_pps_drops: kind("rate_limit_exceeded", "warning", "packets over max_pps_per_vm dropped", {
    limit_type: "pps",
  }),
  rl_bandwidth_drops: kind(
    "rate_limit_exceeded",
    "warning",
    "packets over max_bandwidth_per_vm dropped",
    { limit_type: "bandwidth" },
  ),
  rl_ra_drops: kind(
    "rate_limit_exceeded",
    "warning",
    "router advertisements over max_ra_rate dropped",
    { limit_type: "ra" },
  ),
  conn_limit_drops: kind(
    "rate_limit_exceeded",
    "warning",
    "new connections over max_connections_per_vm refused",
    { limit_type: "connections" },
  ),
  egress_default_drop: kind(
    "policy_block",
    "info",
    "packets not allowed by the egress rules dropped",
  ),
  ingress_default_drop: kind(
    "policy_block",
    "info",
    "packets not allowed by the ingress rules dropped",
  ),
  inter_tenant_drops: kind(
    "inter_tenant_block",
    "warning",
    "frames from another tenant's VM dropped",
  ),
  eh_frag_to: kind(
    "extension_header_block",
    "warning",
    "fragments to the VM dropped before reassembly (fragment_policy BLOCK)",
  ),
  frag_rejected_in: kind(
    "extension_header_block",
    "warning",
    "fragments to the VM that reassembly refused (overlapping, unaligned or incomplete) dropped",
    { reason: "reassembly_rejected" },
  ),
  eh_chain: kind(
    "extension_header_block",
    "warning",
    "packets from the VM with more extension headers than max_chain_length dropped",
    { reason: "chain_length" },
  ),
  eh_chain_in: kind(
    "extension_header_block",
    "warning",
    "packets to the VM with more extension headers than max_chain_length dropped",
    { reason: "chain_length" },
  ),
  ra_opt_prefix_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements with a prefix information option blocked (block_prefix_info)",
    { reason: "ra_option" },
  ),
  ra_opt_mtu_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements with an MTU option blocked (block_mtu_options)",
    { reason: "ra_option" },
  ),
  ra_opt_route_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements with a route information option blocked (block_route_info)",
    { reason: "ra_option" },
  ),
  ra_opt_rdnss_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements with an RDNSS option blocked (block_rdnss)",
    { reason: "ra_option" },
  ),
  ra_opt_unverifiable_in: kind(
    "ra_guard_block",
    "warning",
    "router advertisements or link-local fragments whose options cannot all be read dropped (RFC 7112, 7113)",
    { reason: "ra_option_unverifiable" },
  ),
  quarantine: kind("quarantine_block", "info", "frames from the quarantined VM dropped"),
  quarantine_in: kind("quarantine_block", "info", "frames to the quarantined VM dropped"),
};
for (const header of ["hbh", "rt", "rt0", "frag", "dst", "mh", "esp"]) {
  for (const suffix of ["", "_in"]) {
    COUNTER_EVENT_KINDS[`eh_${header}${suffix}`] = kind(
      "extension_header_block",
      "warning",
      `packets with a blocked extension header (${header}${suffix === "_in" ? ", inbound" : ""}) dropped`,
    );
  }
}

export interface CounterReading {
  vmId: string;
  customerId: string;
  /** set name → packets, cumulative */
  counts: Record<string, number>;
}

export interface CounterEvent {
  vmId: string;
  customerId: string;
  set: string;
  eventType: string;
  severity: EventSeverity;
  description: string;
  count: number;
  details: Record<string, string>;
}

/** Events for every counter that moved since `previous` (keyed "vmId/set"); updates `previous`. */
export function eventsFromCounters(
  readings: CounterReading[],
  previous: Map<string, number>,
): CounterEvent[] {
  const events: CounterEvent[] = [];
  for (const reading of readings) {
    for (const [set, total] of Object.entries(reading.counts)) {
      const eventKind = COUNTER_EVENT_KINDS[set];
      if (!eventKind) continue;
      const key = `${reading.vmId}/${set}`;
      const before = previous.get(key) ?? 0;
      previous.set(key, total);
      // A counter that went down was rebuilt (reconcile): count from zero again.
      const delta = total >= before ? total - before : total;
      if (delta <= 0) continue;
      events.push({
        vmId: reading.vmId,
        customerId: reading.customerId,
        set,
        eventType: eventKind.eventType,
        severity: eventKind.severity,
        description: eventKind.describe(delta),
        count: delta,
        details: eventKind.details,
      });
    }
  }
  return events;
}
