// What enforces one VM, for HostService.GetVmEnforcement: per control and port, the exact
// counters of the VM's elements at the kernel's last reading, and the VM's set elements. Pure:
// the plan and the reading come in, nothing is read here.
import type { HostPlan, PacketCount, PortCounters } from "@metald/core";
import {
  BRIDGE_DESTINATION_SETS,
  GUARD_DROP_DESCRIPTIONS,
  guardSetsOf,
  PORT_SETS,
} from "@metald/core";

export type ControlCategory =
  | "ra_guard"
  | "source_guard"
  | "extension_headers"
  | "rate_limit"
  | "rule_list"
  | "address_policy"
  | "quarantine"
  | "isolation"
  | "other";

export interface ControlRow {
  interfaceId: string;
  port: string;
  set: string;
  control: string;
  category: ControlCategory;
  packets: bigint;
  bytes: bigint;
}

export interface ElementRow {
  family: "bridge" | "inet";
  set: string;
  element: string;
}

export interface VmEnforcement {
  counters: ControlRow[];
  elements: ElementRow[];
}

interface CountedControl {
  category: ControlCategory;
  control: string;
}

const port = (set: keyof typeof PORT_SETS, category: ControlCategory): [string, CountedControl] => [
  set,
  { category, control: PORT_SETS[set] },
];

const described = (
  category: ControlCategory,
  list: readonly (readonly [string, string])[],
): [string, CountedControl][] => list.map(([set, control]) => [set, { category, control }]);

/**
 * The counted drop sets a VM can have elements in, in the order the page lists them. The
 * accept-side sets (vm_ports, vm_sources, ra_allowed_in, inter_tenant_open) count every packet
 * the VM sends and are read by no timer, so they are not here (a reading of them spawns nft).
 */
export const COUNTED_CONTROLS: ReadonlyMap<string, CountedControl> = new Map([
  port("quarantine", "quarantine"),
  port("quarantine_in", "quarantine"),
  port("ra_guard", "ra_guard"),
  port("ra_guard_in", "ra_guard"),
  port("redirect_guard", "ra_guard"),
  port("dhcp_guard", "ra_guard"),
  port("nd_frag_guard", "ra_guard"),
  port("source_guard", "source_guard"),
  port("nd_guard", "source_guard"),
  port("dad_guard", "source_guard"),
  port("eh_hbh", "extension_headers"),
  port("eh_rt", "extension_headers"),
  port("eh_rt0", "extension_headers"),
  port("eh_frag", "extension_headers"),
  port("eh_dst", "extension_headers"),
  port("eh_mh", "extension_headers"),
  port("eh_esp", "extension_headers"),
  port("eh_hbh_in", "extension_headers"),
  port("eh_rt_in", "extension_headers"),
  port("eh_frag_in", "extension_headers"),
  port("frag_rejected_in", "extension_headers"),
  port("eh_dst_in", "extension_headers"),
  port("eh_mh_in", "extension_headers"),
  port("eh_esp_in", "extension_headers"),
  port("inter_tenant_drops", "isolation"),
  ...described("extension_headers", [["eh_frag_to", BRIDGE_DESTINATION_SETS.eh_frag_to]]),
  // The eBPF port guard's counters (packages/core/bpf/vm_guard.c).
  ...described("extension_headers", [
    ["eh_chain", GUARD_DROP_DESCRIPTIONS.eh_chain],
    ["eh_chain_in", GUARD_DROP_DESCRIPTIONS.eh_chain_in],
  ]),
  ...described("ra_guard", [
    ["ra_opt_prefix_in", GUARD_DROP_DESCRIPTIONS.ra_opt_prefix_in],
    ["ra_opt_mtu_in", GUARD_DROP_DESCRIPTIONS.ra_opt_mtu_in],
    ["ra_opt_route_in", GUARD_DROP_DESCRIPTIONS.ra_opt_route_in],
    ["ra_opt_rdnss_in", GUARD_DROP_DESCRIPTIONS.ra_opt_rdnss_in],
    ["ra_opt_unverifiable_in", GUARD_DROP_DESCRIPTIONS.ra_opt_unverifiable_in],
  ]),
  ...described("rate_limit", [
    ["rl_ra_drops", "rate limit: router advertisements from the VM over max_ra_rate"],
    ["rl_nd_drops", "rate limit: neighbor discovery from the VM over nd_rate_limit"],
    ["rl_icmpv6_drops", "rate limit: ICMPv6 from the VM over icmpv6_rate_limit"],
    ["rl_multicast_drops", "rate limit: multicast from the VM over multicast_rate_limit"],
    ["rl_pps_drops", "rate limit: packets from the VM over max_pps_per_vm"],
    [
      "rl_pps_burst",
      "burst allowance used: packets over max_pps_per_vm let through from burst_packets (not dropped)",
    ],
    ["rl_bandwidth_drops", "rate limit: bytes from the VM over max_bandwidth_per_vm"],
    ["conn_limit_drops", "rate limit: new connections over max_connections_per_vm"],
  ]),
  ...described("rule_list", [
    ["egress_deny_l4", "egress rule list: denied by a port rule"],
    ["egress_deny_icmp", "egress rule list: denied by an ICMPv6 rule"],
    ["egress_deny_any", "egress rule list: denied by an address rule"],
    ["egress_default_drop", "egress rule list: matched no allow rule"],
    ["ingress_deny_l4", "ingress rule list: denied by a port rule"],
    ["ingress_deny_icmp", "ingress rule list: denied by an ICMPv6 rule"],
    ["ingress_deny_any", "ingress rule list: denied by an address rule"],
    ["ingress_default_drop", "ingress rule list: matched no allow rule"],
  ]),
  ...described("address_policy", [
    ["egress_prefix_drops", "strict egress: destination outside the allowed egress prefixes"],
    ["destination_drops", "allowed destinations: destination not allowed"],
    ["ingress_prefix_drops", "strict ingress: source outside the allowed ingress prefixes"],
    ["private_drops", "block private addresses: ULA, site-local or IPv4-mapped peer"],
  ]),
]);

/** Sets that count every packet of the VM (accepted ones), not what a control dropped. */
const ACCEPT_SIDE = new Set(["vm_ports", "vm_sources", "ra_allowed_in", "inter_tenant_open"]);

/** The key an element is counted under: its first value, unquoted (as the counter reading). */
export function elementKey(element: string): string {
  return (element.split(" . ")[0] ?? "").trim().replace(/^"(.*)"$/, "$1");
}

/** Bridge-family sets are keyed by a port name (quoted); the inet table's by an address. */
export function familyOfElement(element: string): "bridge" | "inet" {
  return element.startsWith('"') ? "bridge" : "inet";
}

/** Sets whose last value is a packet mark, which nft prints as 0x and eight hex digits. */
const MARK_VALUED = new Set(["port_tenant", "port_tenant_keys"]);

/** An element as `nft list` prints it (the driver writes marks in decimal). */
export function printedElement(set: string, element: string): string {
  if (!MARK_VALUED.has(set)) return element;
  return element.replace(/([:.]) (\d+)$/, (_, sep: string, mark: string) => {
    return `${sep} 0x${Number(mark).toString(16).padStart(8, "0")}`;
  });
}

const withoutLength = (address: string) => address.replace(/\/\d+$/, "");

/** A set's counts over a port's keys (its name, addresses and link-local). */
function sumOf(reading: PortCounters, keys: ReadonlySet<string>, set: string): PacketCount {
  const sum: PacketCount = { packets: 0, bytes: 0 };
  for (const key of keys) {
    const count = reading.get(key)?.[set];
    sum.packets += count?.packets ?? 0;
    sum.bytes += count?.bytes ?? 0;
  }
  return sum;
}

/**
 * Per port, every counted control the VM has elements in (zero until the kernel counted
 * something), with its packets and bytes in `reading`; `reading` undefined: no counters.
 */
export function vmEnforcementOf(
  plan: Pick<HostPlan, "ports" | "elements">,
  interfaceIds: readonly string[],
  reading: PortCounters | undefined,
): VmEnforcement {
  const counters: ControlRow[] = [];
  if (reading) {
    plan.ports.forEach((p, i) => {
      const keys = new Set([p.name, ...p.addresses.map(withoutLength), p.linkLocal]);
      // The eBPF port guard's counters belong to the port's guard settings, not to elements.
      const guarded = new Set<string>(guardSetsOf(p.guard));
      for (const [set, { category, control }] of COUNTED_CONTROLS) {
        if (!guarded.has(set) && !(plan.elements[set] ?? []).some((e) => keys.has(elementKey(e))))
          continue;
        const sum = sumOf(reading, keys, set);
        counters.push({
          interfaceId: interfaceIds[i] ?? "",
          port: p.name,
          set,
          control,
          category,
          packets: BigInt(sum.packets),
          bytes: BigInt(sum.bytes),
        });
      }
      // A counted set this table does not name yet (a control added to the ruleset since):
      // shown under its own name rather than left out.
      const others = new Set([...keys].flatMap((key) => Object.keys(reading.get(key) ?? {})));
      for (const set of [...others].sort()) {
        if (COUNTED_CONTROLS.has(set) || ACCEPT_SIDE.has(set)) continue;
        const sum = sumOf(reading, keys, set);
        counters.push({
          interfaceId: interfaceIds[i] ?? "",
          port: p.name,
          set,
          control: (PORT_SETS as Record<string, string>)[set] ?? set,
          category: "other",
          packets: BigInt(sum.packets),
          bytes: BigInt(sum.bytes),
        });
      }
    });
  }
  const elements = Object.keys(plan.elements)
    .sort()
    .flatMap((set) =>
      [...(plan.elements[set] ?? [])].sort().map((element) => ({
        family: familyOfElement(element),
        set,
        element: printedElement(set, element),
      })),
    );
  return { counters, elements };
}
