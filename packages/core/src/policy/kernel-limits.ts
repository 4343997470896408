// What the kernel can hold of the numbers a policy programs: nf_tables `limit` and `ct count`,
// tap and veth MTUs. Measured with nft 1.0.6 on Linux 6.18 (docs/enforcement.md, "Accepted
// ranges"); validation derives its ranges from these, and policy-limits-load.kernel.test.ts
// checks them against the running kernel.

/**
 * `limit … burst N` and `ct count over N` are 32-bit netlink attributes. nft 1.0.6 keeps only
 * the low 32 bits of a larger value without a word: burst 5,000,000,000 becomes 705,032,704,
 * `ct count over 4294967296` becomes `ct count over 0` (every new connection refused).
 */
export const NFT_U32_MAX = 4_294_967_295;

const U64_MAX = 2n ** 64n - 1n;

/** The kernel's token buckets count nanoseconds: one `per` unit of the rate, in ns. */
export const NFT_UNIT_NS = { second: 1_000_000_000n, minute: 60_000_000_000n } as const;
export type NftRateUnit = keyof typeof NFT_UNIT_NS;

/**
 * `limit rate R bytes/second burst B bytes`: the kernel sizes the bucket as 1e9 × (R + B) ns and
 * refuses the rule (EOVERFLOW, "Value too large for defined data type") when that leaves 64 bits:
 * R + B ≤ 18,446,744,073.
 */
export const NFT_BYTE_RATE_PLUS_BURST_MAX = Number(U64_MAX / NFT_UNIT_NS.second);

/**
 * Whether the kernel loads `limit rate R/<unit> burst B packets` as written: nft refuses a burst
 * of 0, a burst above 32 bits is truncated, and the bucket, ⌊unit_ns / R⌋ × B ns, must fit 64 bits
 * (per minute, rate 1: B ≤ 307,445,734).
 */
export function packetLimitFits(rate: number, burst: number, per: NftRateUnit): boolean {
  if (!Number.isSafeInteger(rate) || !Number.isSafeInteger(burst)) return false;
  if (rate < 1 || burst < 1 || burst > NFT_U32_MAX) return false;
  const r = BigInt(rate);
  const b = BigInt(burst);
  return r + b <= U64_MAX && (NFT_UNIT_NS[per] / r) * b <= U64_MAX;
}

/** Whether the kernel loads `limit rate R bytes/second burst B bytes` as written. */
export function byteLimitFits(rate: number, burst: number): boolean {
  if (!Number.isSafeInteger(rate) || !Number.isSafeInteger(burst)) return false;
  return (
    rate >= 1 && burst >= 0 && burst <= NFT_U32_MAX && rate + burst <= NFT_BYTE_RATE_PLUS_BURST_MAX
  );
}

/**
 * The per-packet cost of a packet limit is ⌊1e9 / R⌋ ns: above 1e9 packets/s it is 0 and the
 * limit never drops; below, the enforced rate is 1e9 / ⌊1e9 / R⌋ (exact when R divides 1e9).
 */
export function enforcedPacketRate(rate: number): number {
  const cost = Math.floor(1e9 / rate);
  return cost === 0 ? Number.POSITIVE_INFINITY : 1e9 / cost;
}

/** The tun driver's largest tap MTU: 65,535 less the 14-byte Ethernet header. */
export const TAP_MTU_MAX = 65_521;
/** veth links carry up to 65,535 bytes. */
export const VETH_MTU_MAX = 65_535;
/** IPv6 needs every link to carry 1,280 bytes (RFC 8200, section 5). */
export const IPV6_MIN_MTU = 1_280;
