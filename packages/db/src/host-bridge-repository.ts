// The bridges metald created on one host (see migration 0007): recorded before they are
// created, forgotten once deleted. Every query is by primary key.
import type { SqlClient } from "./sql-client.js";

export interface HostBridge {
  name: string;
  /** The tenant whose VM the bridge was created for. */
  tenantId: string;
  createdAt: Date;
}

export interface HostBridgeRepository {
  owns(bridge: string): Promise<boolean>;
  record(bridge: string, tenantId: string): Promise<void>;
  forget(bridge: string): Promise<void>;
  list(): Promise<HostBridge[]>;
}

export interface HostBridgeScope {
  hostId: string;
  /** The namespace standing for the host (the sandbox's), "" for the host's own. */
  scope: string;
}

export function createHostBridgeRepository(
  db: SqlClient,
  { hostId, scope }: HostBridgeScope,
): HostBridgeRepository {
  return {
    async owns(bridge) {
      const { rows } = await db.query(
        "SELECT 1 FROM host_bridges WHERE host_id = $1 AND scope = $2 AND name = $3",
        [hostId, scope, bridge],
      );
      return rows.length > 0;
    },
    async record(bridge, tenantId) {
      await db.query(
        "INSERT INTO host_bridges (host_id, scope, name, tenant_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        [hostId, scope, bridge, tenantId],
      );
    },
    async forget(bridge) {
      await db.query("DELETE FROM host_bridges WHERE host_id = $1 AND scope = $2 AND name = $3", [
        hostId,
        scope,
        bridge,
      ]);
    },
    async list() {
      const { rows } = await db.query<{ name: string; tenant_id: string; created_at: string }>(
        "SELECT name, tenant_id, created_at FROM host_bridges WHERE host_id = $1 AND scope = $2 ORDER BY name",
        [hostId, scope],
      );
      return rows.map((r) => ({
        name: r.name,
        tenantId: r.tenant_id,
        createdAt: new Date(r.created_at),
      }));
    },
  };
}
