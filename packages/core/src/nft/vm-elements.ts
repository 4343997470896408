// One VM's facts as elements of the metald_security sets, and the nft commands that add,
// remove or change them in one transaction.
import { parseIpv6 } from "../ipam/ipv6-address.js";
import { EXTENSION_HEADER_TYPES, type SecurityPolicy } from "../policy/security-policy.js";
import { parseRuleList, ruleElements, ruleListShape } from "../rules/compile-rule-elements.js";
import {
  BURST_USED_SET,
  byteBurst,
  packetBurst,
  RATE_CONTROLS,
  type RateClass,
  type RateControl,
  rateClassSet,
  rateDropSet,
} from "./rate-classes.js";
import type { AddressSetName, PortSetName } from "./ruleset-table.js";
import { familyOfSet, TABLE_NAME } from "./ruleset-table.js";

export interface VmPort {
  /** Host-side port name (validated Linux name). */
  name: string;
  /** Canonical addresses, without prefix length. */
  addresses: string[];
  /** The on-link prefixes of those addresses ("2001:db8::/64"). */
  prefixes: string[];
  linkLocal: string;
  policy: SecurityPolicy;
}

/** Set name → element literals, each sorted, for one VM. */
export type SetElements = Record<string, string[]>;

export interface VmEnforcement {
  elements: SetElements;
  /** Rate classes the VM's limits use; the driver creates the ones the host lacks. */
  rateClasses: RateClass[];
}

const EH_SETS: [number, PortSetName, PortSetName][] = [
  [EXTENSION_HEADER_TYPES.hopByHop, "eh_hbh", "eh_hbh_in"],
  [EXTENSION_HEADER_TYPES.routing, "eh_rt", "eh_rt_in"],
  [EXTENSION_HEADER_TYPES.fragment, "eh_frag", "eh_frag_in"],
  [EXTENSION_HEADER_TYPES.destinationOptions, "eh_dst", "eh_dst_in"],
  [EXTENSION_HEADER_TYPES.mobility, "eh_mh", "eh_mh_in"],
  [EXTENSION_HEADER_TYPES.esp, "eh_esp", "eh_esp_in"],
];

/** Extension header types a policy refuses. */
export function blockedExtensionHeaders(policy: SecurityPolicy): Set<number> {
  const eh = policy.extensionHeaders;
  const blocked = new Set<number>();
  for (const [type] of EH_SETS) {
    if (eh.mode === "BLOCK_ALL" || (eh.mode === "SELECTIVE" && !eh.allowedTypes.includes(type)))
      blocked.add(type);
  }
  if (eh.fragmentPolicy === "BLOCK") blocked.add(EXTENSION_HEADER_TYPES.fragment);
  return blocked;
}

function quoted(name: string): string {
  return `"${name}"`;
}

function asInteger(address: string): string {
  return `0x${parseIpv6(address).toString(16).padStart(32, "0")}`;
}

function rateClassesOf(policy: SecurityPolicy): RateClass[] {
  const { rateLimits: rl, neighborDiscovery: nd } = policy;
  const ra = policy.raGuard;
  const raLimited =
    ra.enabled && !ra.blockAllRa && ra.allowedRouters.length > 0 && ra.maxRaRate > 0;
  const values: Record<RateControl, RateClass | undefined> = {
    ra: raLimited
      ? { control: "ra", rate: ra.maxRaRate, burst: packetBurst(ra.maxRaRate) }
      : undefined,
    nd:
      nd.ndRateLimit > 0
        ? { control: "nd", rate: nd.ndRateLimit, burst: packetBurst(nd.ndRateLimit) }
        : undefined,
    icmpv6:
      nd.icmpv6RateLimit > 0
        ? { control: "icmpv6", rate: nd.icmpv6RateLimit, burst: packetBurst(nd.icmpv6RateLimit) }
        : undefined,
    multicast:
      nd.multicastRateLimit > 0
        ? {
            control: "multicast",
            rate: nd.multicastRateLimit,
            burst: packetBurst(nd.multicastRateLimit),
          }
        : undefined,
    pps:
      rl.maxPpsPerVm > 0
        ? {
            control: "pps",
            rate: rl.maxPpsPerVm,
            burst: rl.burst.packets || packetBurst(rl.maxPpsPerVm),
          }
        : undefined,
    bandwidth:
      rl.maxBandwidthPerVm > 0
        ? {
            control: "bandwidth",
            rate: rl.maxBandwidthPerVm,
            burst: byteBurst(rl.maxBandwidthPerVm, rl.burst.durationMs),
          }
        : undefined,
  };
  return RATE_CONTROLS.map((c) => values[c]).filter((c): c is RateClass => c !== undefined);
}

export function compileVmElements(
  ports: VmPort[],
  isolated: boolean,
  tenantMark = 0,
): VmEnforcement {
  const out: Record<string, Set<string>> = {};
  const rateClasses = new Map<string, RateClass>();
  const add = (set: string, element: string) => {
    if (!out[set]) out[set] = new Set();
    out[set].add(element);
  };
  for (const port of ports) {
    const p = quoted(port.name);
    const policy = port.policy;
    add("vm_ports", p);
    add("eh_rt0", p);
    if (tenantMark > 0) {
      add("port_tenant", `${p} : ${tenantMark}`);
      add("port_tenant_keys", `${p} . ${tenantMark}`);
      add("inter_tenant_drops", p);
      if (policy.isolation.interTenantPolicy !== "BLOCK_ALL") add("inter_tenant_open", p);
    }
    if (isolated) {
      add("quarantine", p);
      add("quarantine_in", p);
    }
    const own = [...port.addresses, port.linkLocal];
    for (const address of own) {
      add("vm_sources", `${p} . ${address}`);
      add("vm_na_targets", `${p} . ${asInteger(address)}`);
    }
    if (policy.raGuard.enabled) {
      for (const set of [
        "ra_guard",
        "ra_guard_in",
        "redirect_guard",
        "dhcp_guard",
        "nd_frag_guard",
      ] as const)
        add(set, p);
      if (!policy.raGuard.blockAllRa) {
        for (const router of policy.raGuard.allowedRouters)
          add("ra_allowed_in", `${p} . ${router}`);
      }
    }
    if (policy.sourceValidation.sourceGuard) {
      add("source_guard", p);
      add("nd_guard", p);
      add("dad_guard", p);
    }
    const blocked = blockedExtensionHeaders(policy);
    // REASSEMBLE and ALLOW: only datagrams reassembly completed reach the VM (and its rule
    // list); BLOCK drops every fragment through eh_frag_in instead.
    if (!blocked.has(EXTENSION_HEADER_TYPES.fragment)) add("frag_rejected_in", p);
    for (const [type, fromVm, toVm] of EH_SETS) {
      if (blocked.has(type)) {
        add(fromVm, p);
        add(toVm, p);
      }
    }
    if (blocked.has(EXTENSION_HEADER_TYPES.fragment))
      for (const address of own) add("eh_frag_to", address);
    for (const rateClass of rateClassesOf(policy)) {
      rateClasses.set(rateClassSet(rateClass), rateClass);
      add(rateClassSet(rateClass), p);
      add(rateDropSet(rateClass.control), p);
      if (rateClass.control === "pps") add(BURST_USED_SET, p);
    }
    addAddressKeyed(port, add, rateClasses);
  }
  const elements: SetElements = {};
  for (const name of Object.keys(out).sort()) elements[name] = [...(out[name] ?? [])].sort();
  return { elements, rateClasses: [...rateClasses.values()] };
}

// The inet table's elements: rule lists, prefix checks and connection limits, per address.
function addAddressKeyed(
  port: VmPort,
  add: (set: string, element: string) => void,
  rateClasses: Map<string, RateClass>,
): void {
  const { policy } = port;
  const sv = policy.sourceValidation;
  const egress = ruleListShape(parseRuleList(policy.rules.egress));
  const ingress = ruleListShape(parseRuleList(policy.rules.ingress));
  const owned: [string, string][] = [
    ...port.addresses.map((a, i): [string, string] => [a, port.prefixes[i] ?? `${a}/128`]),
    [port.linkLocal, "fe80::/64"],
  ];
  for (const [address, prefix] of owned) {
    add("own_prefixes", `${address} . ${prefix}`);
    for (const [direction, shape] of [
      ["egress", egress],
      ["ingress", ingress],
    ] as const) {
      if (shape.kind === "open") continue;
      const verdict = shape.kind === "allow-list" ? "allow" : "deny";
      const sets = ruleElements(shape.rules, direction, address);
      for (const element of sets.l4) add(`${direction}_${verdict}_l4`, element);
      for (const element of sets.icmp) add(`${direction}_${verdict}_icmp`, element);
      for (const element of sets.any) add(`${direction}_${verdict}_any`, element);
      if (shape.kind === "allow-list") add(`${direction}_default_drop`, address);
    }
    if (sv.strictEgress && sv.allowedEgressPrefixes.length > 0) {
      add("egress_prefix_guard", address);
      add("egress_prefix_drops", address);
      for (const p of sv.allowedEgressPrefixes) add("egress_prefixes", `${address} . ${p}`);
    }
    if (sv.allowedDestinations.length > 0) {
      add("destination_guard", address);
      add("destination_drops", address);
      for (const p of sv.allowedDestinations) add("destinations", `${address} . ${p}`);
    }
    if (sv.strictIngress && sv.allowedIngressPrefixes.length > 0) {
      add("ingress_prefix_guard", address);
      add("ingress_prefix_drops", address);
      for (const p of sv.allowedIngressPrefixes) add("ingress_prefixes", `${address} . ${p}`);
    }
    if (sv.blockPrivateAddresses) {
      add("private_guard", address);
      add("private_drops", address);
    }
    const connections = policy.rateLimits.maxConnectionsPerVm;
    if (connections > 0) {
      const rateClass: RateClass = { control: "connections", rate: connections, burst: 0 };
      rateClasses.set(rateClassSet(rateClass), rateClass);
      add(rateClassSet(rateClass), address);
      add(rateDropSet("connections"), address);
    }
  }
}

/** Elements in `after` and not in `before` (add), and the reverse (remove). */
export function diffElements(
  before: SetElements,
  after: SetElements,
): { add: SetElements; remove: SetElements } {
  const add: SetElements = {};
  const remove: SetElements = {};
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const name of [...names].sort()) {
    const b = new Set(before[name] ?? []);
    const a = new Set(after[name] ?? []);
    const added = [...a].filter((e) => !b.has(e));
    const removed = [...b].filter((e) => !a.has(e));
    if (added.length > 0) add[name] = added;
    if (removed.length > 0) remove[name] = removed;
  }
  return { add, remove };
}

/** nft commands for one transaction: removals first, then additions. */
export function renderElementChanges(change: { add: SetElements; remove: SetElements }): string {
  const lines: string[] = [];
  for (const [verb, elements] of [
    ["delete", change.remove],
    ["add", change.add],
  ] as const) {
    for (const [set, list] of Object.entries(elements)) {
      if (list && list.length > 0) {
        lines.push(
          `${verb} element ${familyOfSet(set)} ${TABLE_NAME} ${set} { ${list.join(", ")} }`,
        );
      }
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export type { AddressSetName, PortSetName };
