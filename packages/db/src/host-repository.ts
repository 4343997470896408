// The fleet's host registry (migration 0011): a host registers (or re-registers after a
// restart) with one upsert, beats with one UPDATE by primary key, and the registry is listed
// whole, ordered by host id. Whether a host is stale is the caller's judgement (its clock).
import type { SqlClient } from "./sql-client.js";

export interface HostCapabilityFacts {
  nftables: boolean;
  vlanDevices: boolean;
  bridgeVlanFiltering: boolean;
  notes: string[];
}

export interface HostRegistration {
  hostId: string;
  /** The URL the host's API listens on. */
  address: string;
  version: string;
  driver: string;
  capabilities: HostCapabilityFacts;
  heartbeatMs: number;
  startedAt: Date;
}

export interface HostRecord extends HostRegistration {
  lastHeartbeatAt: Date;
}

export interface HostRepository {
  /** Records the host as started at `startedAt`, its first heartbeat at the same instant. */
  register(host: HostRegistration): Promise<void>;
  /** False when the host is not registered (its row was removed): the caller registers again. */
  heartbeat(hostId: string, at: Date): Promise<boolean>;
  list(): Promise<HostRecord[]>;
  get(hostId: string): Promise<HostRecord | undefined>;
}

interface HostRow {
  host_id: string;
  address: string;
  version: string;
  driver: string;
  capabilities: HostCapabilityFacts | string;
  heartbeat_ms: number;
  started_at: string | Date;
  last_heartbeat_at: string | Date;
}

const COLUMNS =
  "host_id, address, version, driver, capabilities, heartbeat_ms, started_at, last_heartbeat_at";

function toRecord(row: HostRow): HostRecord {
  const caps =
    typeof row.capabilities === "string"
      ? (JSON.parse(row.capabilities) as HostCapabilityFacts)
      : row.capabilities;
  return {
    hostId: row.host_id,
    address: row.address,
    version: row.version,
    driver: row.driver,
    capabilities: {
      nftables: caps.nftables === true,
      vlanDevices: caps.vlanDevices === true,
      bridgeVlanFiltering: caps.bridgeVlanFiltering === true,
      notes: Array.isArray(caps.notes) ? caps.notes.map(String) : [],
    },
    heartbeatMs: Number(row.heartbeat_ms),
    startedAt: new Date(row.started_at),
    lastHeartbeatAt: new Date(row.last_heartbeat_at),
  };
}

export function createHostRepository(db: SqlClient): HostRepository {
  return {
    async register(host) {
      await db.query(
        `INSERT INTO hosts (${COLUMNS}) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)
         ON CONFLICT (host_id) DO UPDATE SET address = EXCLUDED.address,
           version = EXCLUDED.version, driver = EXCLUDED.driver,
           capabilities = EXCLUDED.capabilities, heartbeat_ms = EXCLUDED.heartbeat_ms,
           started_at = EXCLUDED.started_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at`,
        [
          host.hostId,
          host.address,
          host.version,
          host.driver,
          JSON.stringify(host.capabilities),
          host.heartbeatMs,
          host.startedAt.toISOString(),
        ],
      );
    },
    async heartbeat(hostId, at) {
      // Never backwards: a delayed beat committed after a newer one leaves the newer in place.
      const { affectedRows, rows } = await db.query<{ host_id: string }>(
        `UPDATE hosts SET last_heartbeat_at = GREATEST(last_heartbeat_at, $2::timestamptz)
         WHERE host_id = $1 RETURNING host_id`,
        [hostId, at.toISOString()],
      );
      return affectedRows > 0 || rows.length > 0;
    },
    async list() {
      const { rows } = await db.query<HostRow>(`SELECT ${COLUMNS} FROM hosts ORDER BY host_id`);
      return rows.map(toRecord);
    },
    async get(hostId) {
      const { rows } = await db.query<HostRow>(`SELECT ${COLUMNS} FROM hosts WHERE host_id = $1`, [
        hostId,
      ]);
      return rows[0] && toRecord(rows[0]);
    },
  };
}
