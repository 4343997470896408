// The accepted range of every numeric request field. Fields that reach the kernel take their
// bound from what it holds after unit conversion (kernel-limits.ts); the rest are sanity bounds
// (beyond them a value is a mistake, not a policy), each inside the kernel's bound where one
// applies. docs/enforcement.md has the table: field, range, unit, what the kernel gets, why.
import {
  IPV6_MIN_MTU,
  NFT_BYTE_RATE_PLUS_BURST_MAX,
  NFT_U32_MAX,
  TAP_MTU_MAX,
} from "./kernel-limits.js";

/** bandwidth_limit_mbps × this = max_bandwidth_per_vm in bytes/s. */
export const BYTES_PER_MBIT = 125_000;

// The compiler cuts a byte burst to the kernel's 32-bit maximum (byteBurst in
// nft/rate-classes.ts), so the rate may have the rest of the kernel's rate + burst bound.
const BANDWIDTH_BYTES_MAX = NFT_BYTE_RATE_PLUS_BURST_MAX - NFT_U32_MAX;

export const LIMITS = {
  /** 1e9 / 1e8 = 10 ns per packet: exact in the kernel's bucket (above 1e9 it never drops). */
  ppsPerVm: 100_000_000,
  /** bytes per second: 14,151,776,778 (≈ 113.2 Gbit/s), the kernel's bound less the largest burst */
  bandwidthBytesPerSecond: BANDWIDTH_BYTES_MAX,
  /** 113,214 Mbit/s: the largest whole Mbit/s within bandwidthBytesPerSecond */
  bandwidthMbps: Math.floor(BANDWIDTH_BYTES_MAX / BYTES_PER_MBIT),
  /** `ct count` holds up to NFT_U32_MAX. */
  connectionsPerVm: 10_000_000,
  /** The kernel takes up to NFT_U32_MAX packets per second of rate. */
  burstPackets: 10_000_000,
  /** Longer bursts are cut to the kernel's 4,294,967,295 bytes (see byteBurst). */
  burstDurationMs: 60_000,
  recoveryS: 3_600,
  /** router advertisements per minute (RFC 4861 routers send one every 3 s at most: 20) */
  raPerMinute: 600,
  ndPps: 1_000_000,
  maxChainLength: 16,
  dataRetentionDays: 36_500,
  metricsIntervalS: 3_600,
  /** IPv6's minimum link MTU to the largest a tap device carries (veth: 65,535). */
  mtuMin: IPV6_MIN_MTU,
  mtuMax: TAP_MTU_MAX,
  /** 802.1Q: 0 and 4095 are reserved. */
  vlanMin: 1,
  vlanMax: 4_094,
  tempValidLifetimeS: 31_536_000,
  listEntries: 1_024,
  rules: 256,
  ruleLength: 512,
  vcpus: 256,
  memoryBytes: 16 * 1024 ** 4,
  minMemoryBytes: 16 * 1024 ** 2,
} as const;

/** Why a bound is where it is, for error messages. */
export const BOUND_REASONS = {
  bandwidth: `the kernel's byte token bucket needs rate + burst ≤ ${NFT_BYTE_RATE_PLUS_BURST_MAX} bytes, with a burst of up to ${NFT_U32_MAX} bytes`,
  mtu: `IPv6 needs ${IPV6_MIN_MTU}; a tap device carries at most ${TAP_MTU_MAX}`,
} as const;
