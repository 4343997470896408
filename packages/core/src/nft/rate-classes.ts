// Per-VM limits with nftables: a `limit` inside a shared rule is one bucket for every VM, so
// each distinct (control, rate, burst) is a rate class: a membership set of VM ports, a
// dynamic meter set holding one token bucket per port, and one rule. A VM whose limits match
// existing classes adds set elements only; a new value adds one class (two sets, one rule; a pps
// class has a second meter and rule that count the burst allowance used).
// Connection limits work the same way in the inet table with `ct count`.
import { NFT_U32_MAX } from "../policy/kernel-limits.js";
import { countLookups } from "./counted-lookups.js";
import { sampleChain } from "./packet-samples.js";

export type RateControl = "nd" | "icmpv6" | "multicast" | "pps" | "bandwidth" | "ra";

export interface RateClass {
  control: RateControl | "connections";
  /** packets/s, bytes/s, concurrent connections, or (ra) router advertisements per minute */
  rate: number;
  /** packets, or bytes for bandwidth; 0 for connections */
  burst: number;
}

const MATCH: Record<RateControl, string> = {
  nd: "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }",
  icmpv6: "meta l4proto ipv6-icmp",
  multicast: "ip6 daddr ff00::/8",
  pps: "",
  bandwidth: "",
  ra: "",
};

/** A packet limit's burst when the policy sets none: a tenth of a second's worth, at least 1. */
export function packetBurst(rate: number): number {
  return Math.max(1, Math.ceil(rate / 10));
}

/** Smallest byte burst: one 64 KiB TSO/GRO frame must fit in the bucket. */
export const BYTE_BURST_MIN = 65_536;
/** The kernel's largest burst (32 bits); a longer burst_duration_ms is cut to it. */
export const BYTE_BURST_MAX = NFT_U32_MAX;
/** burst_duration_ms when the policy sets none (0). */
export const BYTE_BURST_DEFAULT_MS = 100;

/**
 * A bandwidth limit's burst: `durationMs` worth of bytes at `rate` bytes/s, at least
 * BYTE_BURST_MIN and at most BYTE_BURST_MAX (at 1 GB/s, 4.29 s of traffic).
 */
export function byteBurst(rate: number, durationMs: number): number {
  const wanted = Math.ceil((rate * (durationMs || BYTE_BURST_DEFAULT_MS)) / 1000);
  return Math.min(BYTE_BURST_MAX, Math.max(BYTE_BURST_MIN, wanted));
}

export function rateClassId(c: RateClass): string {
  return `${c.control}_${c.rate}_${c.burst}`;
}

/** Membership set of a class (VM ports, or VM addresses for connections). */
export function rateClassSet(c: RateClass): string {
  return c.control === "connections" ? `cl_${c.rate}` : `rl_${rateClassId(c)}`;
}

/**
 * The set counting, per port, packets the pps limiter let through although they were over the
 * sustained rate: the burst allowance used (burst_config.burst_packets).
 */
export const BURST_USED_SET = "rl_pps_burst";

/**
 * A pps class's second meter: the sustained rate with a bucket of one packet (nft refuses a
 * packet burst of 0), fed only what the class's own limiter let through.
 */
export function burstMeterSet(c: RateClass): string {
  return `rlb_${rateClassId(c)}`;
}

/** The set counting what a control dropped, per port (per address for connections). */
export function rateDropSet(control: RateClass["control"]): string {
  return control === "connections" ? "conn_limit_drops" : `rl_${control}_drops`;
}

export const RATE_CONTROLS: readonly RateControl[] = [
  "nd",
  "icmpv6",
  "multicast",
  "pps",
  "bandwidth",
  "ra",
];

/** nft statements that create a class: its sets and its rule (its drop set's named counter). */
export function renderRateClass(c: RateClass, family: string, table: string): string {
  return countLookups(
    renderRateClassStatements(c, family, table),
    new Set([rateDropSet(c.control), BURST_USED_SET]),
  );
}

function renderRateClassStatements(c: RateClass, family: string, table: string): string {
  const member = rateClassSet(c);
  if (c.control === "connections") {
    const meter = `clm_${c.rate}`;
    return [
      `add set ${family} ${table} ${member} { type ipv6_addr; }`,
      `add set ${family} ${table} ${meter} { type ipv6_addr; flags dynamic; size 65535; }`,
      `add rule ${family} ${table} conn_limits ip6 saddr @${member} add @${meter} { ip6 saddr ct count over ${c.rate} } ip6 saddr @${rateDropSet("connections")} goto ${sampleChain(rateDropSet("connections"))}`,
    ].join("\n");
  }
  const meter = `rlm_${rateClassId(c)}`;
  if (c.control === "ra") {
    // Router advertisements *to* the VM from its allowed routers (max_ra_rate, per minute):
    // inserted first in ra_to_vm, ahead of the allowed-router check.
    return [
      `add set ${family} ${table} ${member} { type ifname; }`,
      `add set ${family} ${table} ${meter} { type ifname; flags dynamic,timeout; timeout 120s; }`,
      `insert rule ${family} ${table} ra_to_vm oifname @${member} update @${meter} { oifname limit rate over ${c.rate}/minute burst ${c.burst} packets } oifname @${rateDropSet(c.control)} goto ${sampleChain(rateDropSet(c.control))}`,
    ].join("\n");
  }
  const unit = c.control === "bandwidth" ? "bytes" : "packets";
  const rate = c.control === "bandwidth" ? `${c.rate} bytes/second` : `${c.rate}/second`;
  const burst = c.burst > 0 ? ` burst ${c.burst} ${unit}` : "";
  const match = MATCH[c.control] === "" ? "" : `${MATCH[c.control]} `;
  const statements = [
    `add set ${family} ${table} ${member} { type ifname; }`,
    // Buckets of ports that fell silent expire, so removing a VM never has to touch them.
    `add set ${family} ${table} ${meter} { type ifname; flags dynamic,timeout; timeout 60s; }`,
    `add rule ${family} ${table} rate_limits ${match}iifname @${member} update @${meter} { iifname limit rate over ${rate}${burst} } iifname @${rateDropSet(c.control)} goto ${sampleChain(rateDropSet(c.control))}`,
  ];
  if (c.control === "pps") {
    // What the limiter let through reaches this rule: a packet over the sustained rate here was
    // paid for by the burst allowance. One more meter and rule per class, one more element per
    // VM: the cost of adding a VM stays flat.
    const burstMeter = burstMeterSet(c);
    statements.push(
      `add set ${family} ${table} ${burstMeter} { type ifname; flags dynamic,timeout; timeout 60s; }`,
      `add rule ${family} ${table} rate_limits iifname @${member} update @${burstMeter} { iifname limit rate over ${rate} burst 1 packets } iifname @${BURST_USED_SET} continue`,
    );
  }
  return statements.join("\n");
}

/** The family and chain holding a class's rule. */
export function rateClassChain(c: RateClass): { family: string; chain: string } {
  if (c.control === "connections") return { family: "inet", chain: "conn_limits" };
  return { family: "bridge", chain: c.control === "ra" ? "ra_to_vm" : "rate_limits" };
}

/**
 * The handles of a class's rules in `nft -a list chain` output, found by the membership set
 * they match on (`@rl_nd_10_5 ` never matches `@rl_nd_10_50`): one, or two for pps (its limiter
 * and its burst counter).
 */
export function rateClassRuleHandles(c: RateClass, chainListing: string): number[] {
  const marker = `@${rateClassSet(c)} `;
  const handles: number[] = [];
  for (const line of chainListing.split("\n")) {
    if (!line.includes(marker)) continue;
    const handle = /# handle (\d+)\s*$/.exec(line);
    if (handle) handles.push(Number(handle[1]));
  }
  return handles;
}

/** nft statements that remove a class: its rules (by handle), then its sets. */
export function renderRateClassRemoval(c: RateClass, table: string, handles: number[]): string {
  const { family, chain } = rateClassChain(c);
  return [
    ...handles.map((handle) => `delete rule ${family} ${table} ${chain} handle ${handle}`),
    `delete set ${family} ${table} ${rateClassSet(c)}`,
    ...rateMeterSets(c).map((set) => `delete set ${family} ${table} ${set}`),
  ].join("\n");
}

/** The meter set of a class (its per-VM token buckets or connection counts). */
export function rateMeterSet(c: RateClass): string {
  return c.control === "connections" ? `clm_${c.rate}` : `rlm_${rateClassId(c)}`;
}

/** Every dynamic set of a class: its meter, and for pps its burst meter. */
export function rateMeterSets(c: RateClass): string[] {
  return c.control === "pps" ? [rateMeterSet(c), burstMeterSet(c)] : [rateMeterSet(c)];
}

/**
 * Statements that remove a VM's meter entries whether or not traffic created them: adding an
 * element that exists is not an error, so "add, then delete" always applies in one transaction.
 */
export function renderMeterCleanup(
  classes: RateClass[],
  ports: string[],
  addresses: string[],
  family: (c: RateClass) => string,
  table: string,
): string {
  const lines: string[] = [];
  for (const c of classes) {
    const keys = c.control === "connections" ? addresses : ports.map((p) => `"${p}"`);
    if (keys.length === 0) continue;
    for (const set of rateMeterSets(c)) {
      lines.push(`add element ${family(c)} ${table} ${set} { ${keys.join(", ")} }`);
      lines.push(`delete element ${family(c)} ${table} ${set} { ${keys.join(", ")} }`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
