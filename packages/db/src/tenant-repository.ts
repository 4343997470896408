// Tenants (the guides' customers): created with their first VM or from the host configuration.
import type { SqlClient } from "./sql-client.js";

export type TenantTier = "premium" | "standard" | "basic";

export interface Tenant {
  id: string;
  name: string;
  tier: TenantTier;
  vlanId: number | null;
  ipv6Prefix: string | null;
  bridgeName: string | null;
  networkNamespace: string | null;
  /** Tenant security defaults (the tenant layer of every VM's effective policy). */
  defaults: Record<string, unknown>;
  vmCount: number;
  createdAt: Date;
}

export type TenantFields = Omit<Tenant, "vmCount" | "createdAt">;

/** Why a tenant was not removed: unknown, or rows that refer to it. */
export type TenantRemoval =
  | { removed: true }
  | { removed: false; reason: "not_found" }
  | { removed: false; reason: "in_use"; vms: number; pools: string[] };

export interface TenantRepository {
  list(filter: { tier?: string }): Promise<Tenant[]>;
  get(id: string): Promise<Tenant | undefined>;
  /** Creates the tenant or replaces its fields (its VMs stay). */
  upsert(tenant: TenantFields): Promise<void>;
  /** Removes a tenant no VM (terminated ones keep their history) and no pool refers to. */
  remove(id: string): Promise<TenantRemoval>;
}

interface Row {
  id: string;
  name: string;
  tier: TenantTier;
  vlan_id: number | null;
  ipv6_prefix: string | null;
  bridge_name: string | null;
  network_namespace: string | null;
  defaults: Record<string, unknown>;
  vm_count: string;
  created_at: string;
}

const SELECT = `
SELECT t.id, t.name, t.tier, t.vlan_id, t.ipv6_prefix, t.bridge_name, t.network_namespace,
  t.defaults, t.created_at,
  (SELECT count(*) FROM vms v WHERE v.tenant_id = t.id AND v.state <> 'TERMINATED') AS vm_count
FROM tenants t`;

const toTenant = (r: Row): Tenant => ({
  id: r.id,
  name: r.name,
  tier: r.tier,
  vlanId: r.vlan_id === null ? null : Number(r.vlan_id),
  ipv6Prefix: r.ipv6_prefix,
  bridgeName: r.bridge_name,
  networkNamespace: r.network_namespace,
  defaults: r.defaults,
  vmCount: Number(r.vm_count),
  createdAt: new Date(r.created_at),
});

export function createTenantRepository(db: SqlClient): TenantRepository {
  return {
    async list(filter) {
      const { rows } = await db.query<Row>(
        `${SELECT} WHERE ($1::text IS NULL OR t.tier = $1) ORDER BY t.id`,
        [filter.tier ?? null],
      );
      return rows.map(toTenant);
    },

    async get(id) {
      const { rows } = await db.query<Row>(`${SELECT} WHERE t.id = $1`, [id]);
      return rows[0] && toTenant(rows[0]);
    },

    async upsert(t) {
      await db.query(
        `INSERT INTO tenants (id, name, tier, vlan_id, ipv6_prefix, bridge_name, network_namespace, defaults)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, tier = EXCLUDED.tier,
           vlan_id = EXCLUDED.vlan_id, ipv6_prefix = EXCLUDED.ipv6_prefix,
           bridge_name = EXCLUDED.bridge_name, network_namespace = EXCLUDED.network_namespace,
           defaults = EXCLUDED.defaults`,
        [
          t.id,
          t.name,
          t.tier,
          t.vlanId,
          t.ipv6Prefix,
          t.bridgeName,
          t.networkNamespace,
          JSON.stringify(t.defaults),
        ],
      );
    },

    async remove(id) {
      const { affectedRows } = await db.query(
        `DELETE FROM tenants t WHERE t.id = $1
           AND NOT EXISTS (SELECT 1 FROM vms v WHERE v.tenant_id = t.id)
           AND NOT EXISTS (SELECT 1 FROM ipv6_pools p WHERE p.tenant_id = t.id)`,
        [id],
      );
      if (affectedRows > 0) return { removed: true };
      const { rows } = await db.query<{ vms: string; pools: string[] | null }>(
        `SELECT (SELECT count(*) FROM vms v WHERE v.tenant_id = t.id) AS vms,
           (SELECT array_agg(p.id ORDER BY p.id) FROM ipv6_pools p WHERE p.tenant_id = t.id) AS pools
         FROM tenants t WHERE t.id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return { removed: false, reason: "not_found" };
      return { removed: false, reason: "in_use", vms: Number(row.vms), pools: row.pools ?? [] };
    },
  };
}
