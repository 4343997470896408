// Which of a VM's kernel counters measure each rate limit and the RA guard. The kernel counts,
// per VM, what a limiter drops (the `rl_<control>_drops` and `conn_limit_drops` sets); the
// packets a limiter lets through are not counted per VM (see docs/security-events.md), so the
// totals here are of what went over a limit.
import { RATE_CONTROLS, type RateClass, rateDropSet } from "../nft/rate-classes.js";

export type LimitType = RateClass["control"];

/** What one limit's rate is measured in: bandwidth in bytes, every other limit in packets. */
export type LimitUnit = "packets" | "bytes";

export const LIMIT_TYPES: readonly LimitType[] = [...RATE_CONTROLS, "connections"];

export function limitUnit(limit: LimitType): LimitUnit {
  return limit === "bandwidth" ? "bytes" : "packets";
}

/** The sets whose drops are RA guard violations (as metald_ipv6_ra_guard_blocks_total). */
export const RA_GUARD_SETS: readonly string[] = [
  "ra_guard",
  "ra_guard_in",
  "nd_frag_guard",
  "redirect_guard",
  "dhcp_guard",
  "ra_opt_prefix_in",
  "ra_opt_mtu_in",
  "ra_opt_route_in",
  "ra_opt_rdnss_in",
  "ra_opt_unverifiable_in",
];

interface Count {
  packets: number;
  bytes: number;
}

/**
 * A VM's cumulative drops per limit it has (a VM is in a limit's drop set exactly when its
 * policy sets that limit), in the limit's unit. Limits the VM does not have are absent.
 */
export function limitDropTotals(counts: Readonly<Record<string, Count>>): Map<LimitType, number> {
  const totals = new Map<LimitType, number>();
  for (const limit of LIMIT_TYPES) {
    const count = counts[rateDropSet(limit)];
    if (count) totals.set(limit, limitUnit(limit) === "bytes" ? count.bytes : count.packets);
  }
  return totals;
}

/** A VM's cumulative RA guard drops, or undefined when its policy has no RA guard. */
export function raGuardDropTotal(counts: Readonly<Record<string, Count>>): number | undefined {
  const present = RA_GUARD_SETS.filter((set) => counts[set] !== undefined);
  if (present.length === 0) return undefined;
  return present.reduce((sum, set) => sum + (counts[set]?.packets ?? 0), 0);
}
