// Prometheus metrics fed by the kernel's exact per-VM counters (the metald_security sets), as
// last read (a scrape starts no command: the event poller reads them every interval). Metric
// names and types are the guides'; the guides' `source_ip` label is left out: an attacker
// chooses spoofed sources, so it would make the series count unbounded. Source addresses belong
// in security events instead. A VM's series appear once any of its counters moved (then all of
// them, zeros too): a series per VM and control whatever it counted made ~40 series per VM
// (200,000 at 5,000 VMs, a scrape of seconds), while a host's drops come from few VMs. Absent reads as zero in PromQL; `rate()` and
// `increase()` see a series from its second sample on, so a VM's very first drops count in the
// series' total but not in the rate of the scrape interval they happened in.
import { BURST_USED_SET, countersOf, type PortCounters, RA_GUARD_SETS } from "@metald/core";
import { Counter, type Registry } from "prom-client";
import { counterKeysOf, countsAny, portNamesOf } from "../vm/counter-keys.js";
import type { VmView } from "../vm/vm-provisioner.js";

export interface EnforcementMetricsOptions {
  registry: Registry;
  /** The last reading; it may leave out the keys that never counted (absent reads as zero). */
  readCounters: () => Promise<PortCounters>;
  /** Every live VM. */
  liveVms: () => Promise<VmView[]>;
}

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number };

// set name → what it counts, per metric
const VALIDATION: Record<string, string> = {
  source_guard: "spoofing",
  nd_guard: "nd_spoofing",
  dad_guard: "dad_spoofing",
  egress_prefix_drops: "egress_prefix",
  ingress_prefix_drops: "ingress_prefix",
  destination_drops: "destination",
  private_drops: "private_address",
};
const HEADERS: Record<string, [string, string]> = {
  eh_hbh: ["hop_by_hop", "policy"],
  eh_rt: ["routing", "policy"],
  eh_rt0: ["routing_type0", "rfc5095"],
  eh_frag: ["fragment", "policy"],
  eh_dst: ["destination_options", "policy"],
  eh_mh: ["mobility", "policy"],
  eh_esp: ["esp", "policy"],
  eh_hbh_in: ["hop_by_hop", "policy_inbound"],
  eh_rt_in: ["routing", "policy_inbound"],
  eh_frag_in: ["fragment", "policy_inbound"],
  eh_frag_to: ["fragment", "policy_inbound"],
  eh_dst_in: ["destination_options", "policy_inbound"],
  eh_mh_in: ["mobility", "policy_inbound"],
  eh_esp_in: ["esp", "policy_inbound"],
  // the eBPF port guard: chains longer than max_chain_length
  eh_chain: ["chain_length", "max_chain_length"],
  eh_chain_in: ["chain_length", "max_chain_length_inbound"],
};
const RATE_LIMITS: Record<string, string> = {
  rl_nd_drops: "nd",
  rl_icmpv6_drops: "icmpv6",
  rl_multicast_drops: "multicast",
  rl_pps_drops: "pps",
  rl_bandwidth_drops: "bandwidth",
  rl_ra_drops: "ra",
  conn_limit_drops: "connections",
};

interface Collected {
  ra: Sample[];
  validation: Sample[];
  sourceGuard: Sample[];
  rpf: Sample[];
  headers: Sample[];
  fragments: Sample[];
  rates: Sample[];
  nd: Sample[];
  burst: Sample[];
}

function countersByVm(vms: VmView[], all: PortCounters): Collected {
  const out: Collected = {
    ra: [],
    validation: [],
    sourceGuard: [],
    rpf: [],
    headers: [],
    fragments: [],
    rates: [],
    nd: [],
    burst: [],
  };
  for (const vm of vms) {
    const vmId = vm.record.id;
    const customer = vm.record.tenantId;
    // Nothing of the VM counted: no series (the common case, one lookup per key).
    if (!countsAny(all, counterKeysOf(vm))) continue;
    vm.spec.interfaces.forEach((iface, i) => {
      const port = portNamesOf(vm)[i] ?? "";
      const keys = [port, ...iface.addresses.map((a) => a.address)];
      const c = countersOf(all, keys);
      const n = (set: string) => c[set]?.packets ?? 0;
      // The burst allowance is used by ordinary traffic, not by attacks: one series for each
      // VM that used it, and it does not bring the VM's drop series with it.
      if (n(BURST_USED_SET) > 0)
        out.burst.push({
          labels: { vm_id: vmId, customer_id: customer },
          value: n(BURST_USED_SET),
        });
      // Nothing dropped: no drop series (the common case, and one lookup per key).
      if (!Object.entries(c).some(([set, count]) => set !== BURST_USED_SET && count.packets > 0))
        return;
      out.ra.push({
        labels: { vm_id: vmId, customer_id: customer },
        value: RA_GUARD_SETS.reduce((sum, s) => sum + n(s), 0),
      });
      for (const [set, violation] of Object.entries(VALIDATION)) {
        out.validation.push({
          labels: { vm_id: vmId, customer_id: customer, violation_type: violation },
          value: n(set),
        });
      }
      out.sourceGuard.push({
        labels: { vm_id: vmId, customer_id: customer },
        value: n("source_guard"),
      });
      out.rpf.push({ labels: { vm_id: vmId, interface: iface.id }, value: n("source_guard") });
      for (const [set, [header, reason]] of Object.entries(HEADERS)) {
        out.headers.push({ labels: { vm_id: vmId, header_type: header, reason }, value: n(set) });
      }
      out.fragments.push({
        labels: { vm_id: vmId, result: "dropped" },
        value: n("eh_frag") + n("eh_frag_in") + n("eh_frag_to") + n("nd_frag_guard"),
      });
      out.fragments.push({
        labels: { vm_id: vmId, result: "reassembly_rejected" },
        value: n("frag_rejected_in"),
      });
      for (const [set, limit] of Object.entries(RATE_LIMITS)) {
        out.rates.push({
          labels: { vm_id: vmId, customer_id: customer, limit_type: limit },
          value: n(set),
        });
      }
      out.nd.push({ labels: { vm_id: vmId, customer_id: customer }, value: n("rl_nd_drops") });
    });
  }
  return out;
}

export function registerEnforcementMetrics(options: EnforcementMetricsOptions): void {
  let pending: Promise<Collected> | undefined;
  // One read of the kernel per scrape, shared by every metric of that scrape.
  const collect = () => {
    pending ??= (async () =>
      countersByVm(await options.liveVms(), await options.readCounters()))().finally(() => {
      setTimeout(() => {
        pending = undefined;
      }, 0);
    });
    return pending;
  };
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    pick: (c: Collected) => Sample[],
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [options.registry],
      async collect() {
        const samples = pick(await collect());
        this.reset();
        for (const s of samples) this.inc(s.labels, s.value);
      },
    });
  counter(
    "metald_ipv6_ra_guard_blocks_total",
    "Total router advertisements blocked by RA Guard",
    ["vm_id", "customer_id"],
    (c) => c.ra,
  );
  counter(
    "metald_ipv6_source_validation_violations_total",
    "Total source validation violations",
    ["vm_id", "customer_id", "violation_type"],
    (c) => c.validation,
  );
  counter(
    "metald_ipv6_source_guard_violations_total",
    "Packets dropped by the source guard",
    ["vm_id", "customer_id"],
    (c) => c.sourceGuard,
  );
  counter(
    "metald_ipv6_reverse_path_filter_drops_total",
    "Packets dropped by reverse path filtering",
    ["vm_id", "interface"],
    (c) => c.rpf,
  );
  counter(
    "metald_ipv6_extension_header_blocks_total",
    "Extension headers blocked",
    ["vm_id", "header_type", "reason"],
    (c) => c.headers,
  );
  counter(
    "metald_ipv6_fragment_processing_total",
    "IPv6 fragments processed",
    ["vm_id", "result"],
    (c) => c.fragments,
  );
  counter(
    "metald_ipv6_rate_limit_violations_total",
    "Total rate limit violations",
    ["vm_id", "customer_id", "limit_type"],
    (c) => c.rates,
  );
  counter(
    "metald_ipv6_nd_rate_limit_exceeded_total",
    "Neighbor discovery packets over nd_rate_limit",
    ["vm_id", "customer_id"],
    (c) => c.nd,
  );
  counter(
    "metald_ipv6_burst_allowance_used_total",
    "Total burst allowance usage: packets over max_pps_per_vm that the limiter let through from its burst (burst_config.burst_packets)",
    ["vm_id", "customer_id"],
    (c) => c.burst,
  );
}
