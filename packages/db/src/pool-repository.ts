// IPv6 address pools and the addresses allocated on this host.
import type { SqlClient } from "./sql-client.js";

export interface Pool {
  id: string;
  prefix: string;
  description: string;
  tenantId: string | null;
  rateLimit: number;
  /** Addresses allocated from it (live VMs and leaks). */
  allocated: number;
  /** Allocations in the last hour. */
  allocatedLastHour: number;
}

export interface NewPool {
  id: string;
  prefix: string;
  description: string;
  tenantId: string | null;
  rateLimit: number;
}

export interface Allocation {
  address: string;
  prefixLength: number;
  poolId: string | null;
  /** null when the VM is gone or terminated: a leaked allocation. */
  vmId: string | null;
  vmState: string | null;
  /** The tenant of the VM it was allocated to (also once the VM is gone). */
  vmTenantId: string | null;
  interfaceId: string;
  allocatedAt: Date;
}

export interface AllocationFilter {
  poolId?: string;
  /** Allocations of this tenant's VMs and of its own pools. */
  tenantId?: string;
  leakedOnly?: boolean;
}

/** Why a pool was not removed. */
export type PoolRemoval =
  | { removed: true }
  | { removed: false; reason: "not_found" }
  | { removed: false; reason: "in_use"; allocated: number };

export class PoolExistsError extends Error {
  override name = "PoolExistsError";
}

export interface PoolRepository {
  create(pool: NewPool): Promise<void>;
  /** Changes a pool; a new prefix starts drawing from offset 1 again. False if unknown. */
  update(id: string, change: Partial<Omit<NewPool, "id">>): Promise<boolean>;
  get(id: string): Promise<Pool | undefined>;
  list(): Promise<Pool[]>;
  /** The pools without their allocation counts (what allocating needs, cheaply). */
  definitions(): Promise<NewPool[]>;
  /** Draws `count` never-drawn offsets; returns the pool's prefix and the first offset. */
  drawOffsets(id: string, count: number): Promise<{ prefix: string; first: bigint } | undefined>;
  /** Addresses allocated from a pool (to find a free one when its offsets are used up). */
  addresses(id: string): Promise<string[]>;
  allocations(filter?: AllocationFilter): Promise<Allocation[]>;
  /** Removes a pool no address is allocated from. */
  remove(id: string): Promise<PoolRemoval>;
  /** Deletes allocations whose VM is gone or terminated; returns them. */
  cleanup(): Promise<string[]>;
}

interface PoolRow {
  id: string;
  prefix: string;
  description: string;
  tenant_id: string | null;
  rate_limit: number;
  allocated: string;
  last_hour: string;
}

const toPool = (r: PoolRow): Pool => ({
  id: r.id,
  prefix: r.prefix,
  description: r.description,
  tenantId: r.tenant_id,
  rateLimit: Number(r.rate_limit),
  allocated: Number(r.allocated),
  allocatedLastHour: Number(r.last_hour),
});

const SELECT_POOLS = `
SELECT p.id, p.prefix, p.description, p.tenant_id, p.rate_limit,
  (SELECT count(*) FROM ipv6_allocations a WHERE a.pool_id = p.id) AS allocated,
  (SELECT count(*) FROM ipv6_allocations a
   WHERE a.pool_id = p.id AND a.allocated_at > now() - interval '1 hour') AS last_hour
FROM ipv6_pools p`;

// Leaked: no VM, or a VM that is no longer live.
const LEAKED = `(a.vm_id IS NULL OR v.state IN ('TERMINATED', 'FAILED'))`;

export function createPoolRepository(db: SqlClient): PoolRepository {
  return {
    async create(pool) {
      if (pool.tenantId !== null)
        await db.query(
          "INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING",
          [pool.tenantId],
        );
      const { affectedRows } = await db.query(
        `INSERT INTO ipv6_pools (id, prefix, description, tenant_id, rate_limit)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [pool.id, pool.prefix, pool.description, pool.tenantId, pool.rateLimit],
      );
      if (affectedRows === 0) throw new PoolExistsError(`pool ${JSON.stringify(pool.id)} exists`);
    },

    async update(id, c) {
      if (c.tenantId != null)
        await db.query(
          "INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING",
          [c.tenantId],
        );
      const { affectedRows } = await db.query(
        `UPDATE ipv6_pools SET
           next_offset = CASE WHEN $2::text IS NOT NULL AND $2 <> prefix THEN 1 ELSE next_offset END,
           prefix = coalesce($2, prefix), description = coalesce($3, description),
           tenant_id = CASE WHEN $6 THEN $4 ELSE tenant_id END,
           rate_limit = coalesce($5, rate_limit), updated_at = now()
         WHERE id = $1`,
        [
          id,
          c.prefix ?? null,
          c.description ?? null,
          c.tenantId ?? null,
          c.rateLimit ?? null,
          c.tenantId !== undefined,
        ],
      );
      return affectedRows > 0;
    },

    async get(id) {
      const { rows } = await db.query<PoolRow>(`${SELECT_POOLS} WHERE p.id = $1`, [id]);
      return rows[0] && toPool(rows[0]);
    },

    async list() {
      const { rows } = await db.query<PoolRow>(`${SELECT_POOLS} ORDER BY p.id`);
      return rows.map(toPool);
    },

    async definitions() {
      const { rows } = await db.query<{
        id: string;
        prefix: string;
        description: string;
        tenant_id: string | null;
        rate_limit: number;
      }>("SELECT id, prefix, description, tenant_id, rate_limit FROM ipv6_pools ORDER BY id");
      return rows.map((r) => ({
        id: r.id,
        prefix: r.prefix,
        description: r.description,
        tenantId: r.tenant_id,
        rateLimit: Number(r.rate_limit),
      }));
    },

    async drawOffsets(id, count) {
      const { rows } = await db.query<{ prefix: string; first: string }>(
        `UPDATE ipv6_pools SET next_offset = next_offset + $2 WHERE id = $1
         RETURNING prefix, (next_offset - $2)::text AS first`,
        [id, count],
      );
      const row = rows[0];
      return row && { prefix: row.prefix, first: BigInt(row.first) };
    },

    async addresses(id) {
      const { rows } = await db.query<{ address: string }>(
        "SELECT address FROM ipv6_allocations WHERE pool_id = $1",
        [id],
      );
      return rows.map((r) => r.address);
    },

    async allocations(filter = {}) {
      const { rows } = await db.query<{
        address: string;
        prefix_length: number;
        pool_id: string | null;
        vm_id: string | null;
        state: string | null;
        tenant_id: string | null;
        interface_id: string;
        allocated_at: string;
      }>(
        `SELECT a.address, a.prefix_length, a.pool_id, CASE WHEN ${LEAKED} THEN NULL ELSE a.vm_id END AS vm_id,
           v.state, v.tenant_id, a.interface_id, a.allocated_at
         FROM ipv6_allocations a LEFT JOIN vms v ON v.id = a.vm_id
         LEFT JOIN ipv6_pools p ON p.id = a.pool_id
         WHERE ($1::text IS NULL OR a.pool_id = $1)
           AND ($2::text IS NULL OR v.tenant_id = $2 OR p.tenant_id = $2)
           AND (NOT $3 OR ${LEAKED})
         ORDER BY a.allocated_at, a.address`,
        [filter.poolId ?? null, filter.tenantId ?? null, filter.leakedOnly ?? false],
      );
      return rows.map((r) => ({
        address: r.address,
        prefixLength: Number(r.prefix_length),
        poolId: r.pool_id,
        vmId: r.vm_id,
        vmState: r.state,
        vmTenantId: r.tenant_id,
        interfaceId: r.interface_id,
        allocatedAt: new Date(r.allocated_at),
      }));
    },

    async remove(id) {
      const { affectedRows } = await db.query(
        `DELETE FROM ipv6_pools p WHERE p.id = $1
           AND NOT EXISTS (SELECT 1 FROM ipv6_allocations a WHERE a.pool_id = p.id)`,
        [id],
      );
      if (affectedRows > 0) return { removed: true };
      const { rows } = await db.query<{ allocated: string }>(
        `SELECT (SELECT count(*) FROM ipv6_allocations a WHERE a.pool_id = p.id) AS allocated
         FROM ipv6_pools p WHERE p.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return { removed: false, reason: "not_found" };
      return { removed: false, reason: "in_use", allocated: Number(row.allocated) };
    },

    async cleanup() {
      const { rows } = await db.query<{ address: string }>(
        `DELETE FROM ipv6_allocations a USING ipv6_allocations x LEFT JOIN vms v ON v.id = x.vm_id
         WHERE a.address = x.address AND (x.vm_id IS NULL OR v.state IN ('TERMINATED', 'FAILED'))
         RETURNING a.address`,
      );
      return rows.map((r) => r.address);
    },
  };
}
