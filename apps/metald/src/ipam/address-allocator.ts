// Hands out IPv6 addresses from pools: the tenant's own pool, else "default". Offsets are drawn
// under the pool row's lock, so concurrent CreateVm never draw the same address; once a pool's
// offsets are used up, freed addresses are found among its allocations (small pools only: a
// /48 is never enumerated).
import {
  type AddressPoolRange,
  addressAt,
  allocatedPrefixLength,
  FieldError,
  firstFreeOffset,
  parseIpv6,
  parsePoolPrefix,
  poolContains,
} from "@metald/core";
import type { NewPool, PoolRepository } from "@metald/db";

export const DEFAULT_POOL = "default";
/** Pools up to this many addresses are searched for freed ones when their offsets run out. */
const SEARCHABLE = 1n << 20n;
const CACHE_MS = 5_000;
/**
 * Large pools hand out offsets from blocks drawn ahead, so that concurrent CreateVm do not
 * queue on the pool row (one commit per draw). Offsets of a block left unused at a restart are
 * skipped, which a pool of 2^21 addresses or more can afford.
 */
const BLOCK = 256;

/** The guides' message, as an operator greps for it. */
export class PoolExhaustedError extends Error {
  override name = "PoolExhaustedError";
  constructor(readonly poolId: string) {
    super(`no available IPv6 addresses in pool '${poolId}'`);
  }
}

/** More allocations in the last hour than the pool's rate_limit allows. */
export class PoolRateLimitedError extends Error {
  override name = "PoolRateLimitedError";
  constructor(
    readonly poolId: string,
    readonly perHour: number,
  ) {
    super(`pool '${poolId}' allows ${perHour} allocations per hour; try again later`);
  }
}

export interface AllocatedAddress {
  address: string;
  prefixLength: number;
  poolId: string;
}

export interface AddressAllocator {
  /** `count` new addresses for a VM of `tenantId`; undefined when no pool applies. */
  allocate(tenantId: string, count: number): Promise<AllocatedAddress[] | undefined>;
  /**
   * The pool an explicitly given address lies in (null if none); refuses an address inside
   * another tenant's pool.
   */
  poolOf(address: string, tenantId: string, path: string): Promise<string | null>;
  /** Pools changed: read them again. */
  invalidate(): void;
}

interface Block {
  prefix: string;
  next: bigint;
  end: bigint;
}

export function createAddressAllocator(pools: PoolRepository): AddressAllocator {
  let cached: { at: number; pools: { pool: NewPool; range: AddressPoolRange }[] } | undefined;
  const blocks = new Map<string, Block>();
  const refills = new Map<string, Promise<void>>();

  /** Offsets from the pool's block, drawing a new block when it runs out. */
  async function fromBlock(poolId: string, count: number) {
    for (;;) {
      const block = blocks.get(poolId);
      if (block && block.end - block.next >= BigInt(count)) {
        const first = block.next;
        block.next += BigInt(count);
        return { prefix: block.prefix, first };
      }
      let refill = refills.get(poolId);
      if (!refill) {
        refill = (async () => {
          const size = Math.max(BLOCK, count);
          const drawn = await pools.drawOffsets(poolId, size);
          if (!drawn) throw new PoolExhaustedError(poolId);
          blocks.set(poolId, {
            prefix: drawn.prefix,
            next: drawn.first,
            end: drawn.first + BigInt(size),
          });
        })().finally(() => refills.delete(poolId));
        refills.set(poolId, refill);
      }
      await refill;
    }
  }

  async function current(reread = false) {
    if (reread || !cached || Date.now() - cached.at > CACHE_MS) {
      const list = await pools.definitions();
      cached = {
        at: Date.now(),
        pools: list.map((pool) => ({ pool, range: parsePoolPrefix(pool.prefix) })),
      };
    }
    return cached.pools;
  }

  async function freeOffsets(pool: NewPool, range: AddressPoolRange, count: number) {
    if (range.capacity > SEARCHABLE) return [];
    const used = new Set((await pools.addresses(pool.id)).map((a) => parseIpv6(a) - range.network));
    const found: bigint[] = [];
    while (found.length < count) {
      const offset = firstFreeOffset(range, used);
      if (offset === undefined) break;
      used.add(offset);
      found.push(offset);
    }
    return found;
  }

  return {
    async allocate(tenantId, count) {
      type Known = { pool: NewPool; range: AddressPoolRange }[];
      const own = (all: Known) => all.find((p) => p.pool.tenantId === tenantId);
      // The tenant's own pool from the cache; without one, the pools are read again before
      // falling back to "default": another host sharing the database may have created the
      // tenant's pool since (its invalidate() does not reach here).
      const fresh = async () => {
        const all = await current(true);
        return own(all) ?? all.find((p) => p.pool.id === DEFAULT_POOL);
      };
      const chosen = own(await current()) ?? (await fresh());
      if (!chosen) return undefined;
      // The pool's rate_limit: allocations per hour (0: none), read fresh rather than cached.
      if (chosen.pool.rateLimit > 0) {
        const fresh = await pools.get(chosen.pool.id);
        if (fresh && fresh.allocatedLastHour + count > fresh.rateLimit)
          throw new PoolRateLimitedError(chosen.pool.id, fresh.rateLimit);
      }
      const drawn =
        chosen.range.capacity > SEARCHABLE
          ? await fromBlock(chosen.pool.id, count)
          : await pools.drawOffsets(chosen.pool.id, count);
      if (!drawn) throw new PoolExhaustedError(chosen.pool.id);
      // The prefix may have changed since the cache was filled: use the one drawn against.
      const range = parsePoolPrefix(drawn.prefix);
      const offsets: bigint[] = [];
      for (let i = 0n; i < BigInt(count); i++) {
        if (drawn.first + i <= range.capacity) offsets.push(drawn.first + i);
      }
      if (offsets.length < count)
        offsets.push(...(await freeOffsets(chosen.pool, range, count - offsets.length)));
      if (offsets.length < count) throw new PoolExhaustedError(chosen.pool.id);
      return offsets.map((offset) => ({
        address: addressAt(range, offset),
        prefixLength: allocatedPrefixLength(range),
        poolId: chosen.pool.id,
      }));
    },

    async poolOf(address, tenantId, path) {
      const value = parseIpv6(address);
      const match = (await current()).find((p) => poolContains(p.range, value));
      if (!match) return null;
      if (match.pool.tenantId !== null && match.pool.tenantId !== tenantId)
        throw new FieldError(
          path,
          `${address} lies in pool '${match.pool.id}', which belongs to another tenant`,
        );
      return match.pool.id;
    },

    invalidate() {
      cached = undefined;
      blocks.clear();
    },
  };
}
