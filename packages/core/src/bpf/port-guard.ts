// What the eBPF port guard (packages/core/bpf/vm_guard.c) enforces for one port, and the text
// of the guard-ports, bpftool and tc commands that program it and read its drop counters: pure, so that the
// byte layout shared with the C program is tested without a kernel.
import type { SecurityPolicy } from "../policy/security-policy.js";

/** Port name → counter name → count (the shape of host/set-counters.ts PortCounters). */
export type GuardCounters = Map<string, Record<string, { packets: number; bytes: number }>>;

/** One port's guard settings; a port with none of them on has no guard. */
export interface PortGuard {
  /** Bits of GUARD_FLAGS: RA options dropped in router advertisements to the VM. */
  flags: number;
  /** Extension headers allowed in one packet, both ways; 0: no limit. */
  maxChainLength: number;
}

/** The C program's BLOCK_* bits. */
export const GUARD_FLAGS = {
  prefixInfo: 1,
  mtu: 2,
  routeInfo: 4,
  rdnss: 8,
} as const;

/**
 * The counter names metald reports for the program's drop reasons (enum reason in the C
 * program, by index). `_in`: frames to the VM.
 */
export const GUARD_DROP_SETS = [
  "eh_chain",
  "eh_chain_in",
  "ra_opt_prefix_in",
  "ra_opt_mtu_in",
  "ra_opt_route_in",
  "ra_opt_rdnss_in",
  "ra_opt_unverifiable_in",
] as const;

export type GuardDropSet = (typeof GUARD_DROP_SETS)[number];

/** What each counter counts, for the enforcement page and docs. */
export const GUARD_DROP_DESCRIPTIONS: Record<GuardDropSet, string> = {
  eh_chain: "extension headers: chains longer than max_chain_length from the VM",
  eh_chain_in: "extension headers: chains longer than max_chain_length to the VM",
  ra_opt_prefix_in: "RA guard: router advertisements to the VM with a prefix information option",
  ra_opt_mtu_in: "RA guard: router advertisements to the VM with an MTU option",
  ra_opt_route_in: "RA guard: router advertisements to the VM with a route information option",
  ra_opt_rdnss_in: "RA guard: router advertisements to the VM with an RDNSS option",
  ra_opt_unverifiable_in:
    "RA guard: router advertisements (or link-local fragments) to the VM whose options cannot all be read",
};

/** The guard a port needs under `policy`, or undefined when none of its settings is on. */
export function portGuardOf(policy: SecurityPolicy): PortGuard | undefined {
  const block = policy.raGuard.blockConfig;
  // RAs reach the VM only from allowed routers when RA guard is on; with block_all_ra none do.
  const flags =
    (block.blockPrefixInfo ? GUARD_FLAGS.prefixInfo : 0) |
    (block.blockMtuOptions ? GUARD_FLAGS.mtu : 0) |
    (block.blockRouteInfo ? GUARD_FLAGS.routeInfo : 0) |
    (block.blockRdnss ? GUARD_FLAGS.rdnss : 0);
  const maxChainLength = policy.extensionHeaders.maxChainLength;
  if (flags === 0 && maxChainLength === 0) return undefined;
  return { flags, maxChainLength };
}

/** The counters a port with `guard` has (the rows of its enforcement page). */
export function guardSetsOf(guard: PortGuard | undefined): GuardDropSet[] {
  if (!guard) return [];
  const sets: GuardDropSet[] = [];
  if (guard.maxChainLength > 0) sets.push("eh_chain", "eh_chain_in");
  if (guard.flags & GUARD_FLAGS.prefixInfo) sets.push("ra_opt_prefix_in");
  if (guard.flags & GUARD_FLAGS.mtu) sets.push("ra_opt_mtu_in");
  if (guard.flags & GUARD_FLAGS.routeInfo) sets.push("ra_opt_route_in");
  if (guard.flags & GUARD_FLAGS.rdnss) sets.push("ra_opt_rdnss_in");
  if (guard.flags !== 0) sets.push("ra_opt_unverifiable_in");
  return sets;
}

/** Bytes as guard-ports reads them: hex, two digits a byte. */
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The settings map's key: the port's interface index, a little-endian u32 (x86, arm64). */
function keyHex(ifindex: number): string {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, ifindex, true);
  return hex(key);
}

/** struct port_settings { u8 flags; u8 max_chain_length; u8 pad[2]; } */
function settingsHex(guard: PortGuard): string {
  return hex(Uint8Array.from([guard.flags & 0xff, guard.maxChainLength & 0xff, 0, 0]));
}

// Lines of native/guard-ports (its words separated by spaces: the paths are metald's own pins).

/** Sets a port's guard. */
export function settingsUpdateOp(mapPath: string, ifindex: number, guard: PortGuard): string {
  return `update ${mapPath} ${keyHex(ifindex)} ${settingsHex(guard)}`;
}

/** Removes a port's guard settings. */
export function settingsDeleteOp(mapPath: string, ifindex: number): string {
  return `delete ${mapPath} ${keyHex(ifindex)}`;
}

/** Removes one drop counter (struct drop_key { u32 ifindex; u32 reason; }). */
export function dropDeleteOp(mapPath: string, ifindex: number, reason: number): string {
  const key = new Uint8Array(8);
  const view = new DataView(key.buffer);
  view.setUint32(0, ifindex, true);
  view.setUint32(4, reason, true);
  return `delete ${mapPath} ${hex(key)}`;
}

/** Attaches from_vm at ingress and to_vm at egress of the host-side port. */
export function attachOp(ifindex: number, pinDir: string): string {
  return `attach ${ifindex} ${pinDir}/from_vm ${pinDir}/to_vm`;
}

/** Detaches the guard from a port (its clsact qdisc holds only it). */
export function detachOp(ifindex: number): string {
  return `detach ${ifindex}`;
}

/**
 * `tc -batch -` lines attaching the two programs to a port (replacing any earlier ones), as
 * attachOp does, for the benchmarks that attach the guard without metald.
 */
export function attachLines(port: string, pinDir: string): string[] {
  return [
    `qdisc replace dev ${port} clsact`,
    `filter replace dev ${port} ingress pref 1 handle 1 bpf direct-action pinned ${pinDir}/from_vm`,
    `filter replace dev ${port} egress pref 1 handle 1 bpf direct-action pinned ${pinDir}/to_vm`,
  ];
}

/** `tc -batch -` line detaching the guard from a port (its clsact qdisc holds only it). */
export function detachLine(port: string): string {
  return `qdisc del dev ${port} clsact`;
}

export interface GuardDrop {
  ifindex: number;
  reason: number;
  packets: number;
  bytes: number;
}

/** The drops map as `bpftool -j map dump` prints it (with the object's BTF). */
export function parseGuardDrops(json: string): GuardDrop[] {
  const entries = JSON.parse(json || "[]") as {
    formatted?: {
      key: { ifindex: number; reason: number };
      value: { packets: number; bytes: number };
    };
  }[];
  const out: GuardDrop[] = [];
  for (const entry of entries) {
    const f = entry.formatted;
    if (!f) continue;
    out.push({ ...f.key, packets: f.value.packets, bytes: f.value.bytes });
  }
  return out;
}

/** The drops as port counters (port name → counter name → count); unknown ports left out. */
export function guardCounters(
  drops: GuardDrop[],
  portOf: (ifindex: number) => string | undefined,
): GuardCounters {
  const counters: GuardCounters = new Map();
  for (const drop of drops) {
    const port = portOf(drop.ifindex);
    const set = GUARD_DROP_SETS[drop.reason];
    if (port === undefined || set === undefined) continue;
    const byPort = counters.get(port) ?? {};
    byPort[set] = { packets: drop.packets, bytes: drop.bytes };
    counters.set(port, byPort);
  }
  return counters;
}

/** Both readings in one: the guard's counters added to each port's nftables counters. */
export function mergeCounters(nft: GuardCounters, guard: GuardCounters): GuardCounters {
  if (guard.size === 0) return nft;
  const out: GuardCounters = new Map(nft);
  for (const [port, sets] of guard) out.set(port, { ...(out.get(port) ?? {}), ...sets });
  return out;
}
