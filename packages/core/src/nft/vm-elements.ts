// One VM's facts as elements of the metald_security sets, and the nft commands that add,
// remove or change them in one transaction.
import { parseIpv6 } from "../ipam/ipv6-address.js";
import { EXTENSION_HEADER_TYPES, type SecurityPolicy } from "../policy/security-policy.js";
import type { AddressSetName, PortSetName, SetName } from "./ruleset-table.js";
import { TABLE_FAMILY, TABLE_NAME } from "./ruleset-table.js";

export interface VmPort {
  /** Host-side port name (validated Linux name). */
  name: string;
  /** Canonical addresses, without prefix length. */
  addresses: string[];
  linkLocal: string;
  policy: SecurityPolicy;
}

/** Set name → element literals, each sorted, for one VM. */
export type SetElements = Partial<Record<SetName, string[]>>;

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

export function compileVmElements(ports: VmPort[], isolated: boolean): SetElements {
  const out: Record<string, Set<string>> = {};
  const add = (set: SetName, element: string) => {
    if (!out[set]) out[set] = new Set();
    out[set].add(element);
  };
  for (const port of ports) {
    const p = quoted(port.name);
    const policy = port.policy;
    add("vm_ports", p);
    add("eh_rt0", p);
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
    }
    const blocked = blockedExtensionHeaders(policy);
    for (const [type, fromVm, toVm] of EH_SETS) {
      if (blocked.has(type)) {
        add(fromVm, p);
        add(toVm, p);
      }
    }
  }
  const result: SetElements = {};
  for (const name of Object.keys(out).sort() as SetName[])
    result[name] = [...(out[name] ?? [])].sort();
  return result;
}

/** Elements in `after` and not in `before` (add), and the reverse (remove). */
export function diffElements(
  before: SetElements,
  after: SetElements,
): { add: SetElements; remove: SetElements } {
  const add: SetElements = {};
  const remove: SetElements = {};
  const names = new Set([...Object.keys(before), ...Object.keys(after)] as SetName[]);
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
        lines.push(`${verb} element ${TABLE_FAMILY} ${TABLE_NAME} ${set} { ${list.join(", ")} }`);
      }
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export type { AddressSetName, PortSetName };
