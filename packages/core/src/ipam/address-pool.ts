// An IPv6 address pool as arithmetic: a prefix whose host part is counted by offsets, so that
// allocating from a /48 (2^80 addresses) means drawing the next offset, never enumerating.
import { formatIpv6, Ipv6SyntaxError, networkOf, parseIpv6Cidr } from "./ipv6-address.js";

export interface AddressPoolRange {
  network: bigint;
  prefixLength: number;
  /** Usable addresses: offsets 1 … capacity (offset 0 is the subnet-router anycast address). */
  capacity: bigint;
}

/** The narrowest pool that still gives a VM an on-link /64 is a /64; longer pools give /len. */
export const MIN_POOL_PREFIX = 16;
export const MAX_POOL_PREFIX = 126;

export function parsePoolPrefix(text: string): AddressPoolRange {
  const { value, prefixLength } = parseIpv6Cidr(text);
  if (prefixLength < MIN_POOL_PREFIX || prefixLength > MAX_POOL_PREFIX)
    throw new Ipv6SyntaxError(
      `prefix length /${prefixLength} is not ${MIN_POOL_PREFIX}–${MAX_POOL_PREFIX}`,
    );
  const network = networkOf(value, prefixLength);
  if (network !== value)
    throw new Ipv6SyntaxError(
      `${text} has host bits set; the prefix is ${formatIpv6(network)}/${prefixLength}`,
    );
  return { network, prefixLength, capacity: (1n << BigInt(128 - prefixLength)) - 1n };
}

export function formatPoolPrefix(pool: AddressPoolRange): string {
  return `${formatIpv6(pool.network)}/${pool.prefixLength}`;
}

/** The address at `offset` (1 … capacity), canonical. */
export function addressAt(pool: AddressPoolRange, offset: bigint): string {
  if (offset < 1n || offset > pool.capacity)
    throw new RangeError(`offset ${offset} outside the pool`);
  return formatIpv6(pool.network + offset);
}

/** The prefix length a VM's allocated address is configured with. */
export function allocatedPrefixLength(pool: AddressPoolRange): number {
  return Math.max(64, pool.prefixLength);
}

export function poolContains(pool: AddressPoolRange, address: bigint): boolean {
  return networkOf(address, pool.prefixLength) === pool.network;
}

/** Addresses in use as a fraction of the pool. */
export function utilization(pool: AddressPoolRange, used: number): number {
  return Number((BigInt(used) * 1_000_000n) / pool.capacity) / 1_000_000;
}

/** The lowest offset from 1 not in `used` (offsets of allocated addresses), if any is left. */
export function firstFreeOffset(pool: AddressPoolRange, used: Set<bigint>): bigint | undefined {
  for (let offset = 1n; offset <= pool.capacity; offset++) if (!used.has(offset)) return offset;
  return undefined;
}
