// Security events, in the order they were stored (seq).

import type { SqlClient } from "./sql-client.js";

export interface StoredSecurityEvent {
  seq: number;
  id: string;
  timestamp: Date;
  vmId: string | null;
  customerId: string | null;
  eventType: string;
  severity: string;
  sourceIp: string | null;
  description: string;
  details: Record<string, unknown>;
  count: number;
}

export type NewSecurityEvent = Omit<StoredSecurityEvent, "seq">;

export interface SecurityEventFilter {
  customerId?: string;
  vmId?: string;
  eventType?: string;
  severity?: string;
  start?: Date;
  end?: Date;
  /** Events stored after this sequence number (paging). */
  afterSeq?: number;
  limit: number;
}

export interface SecurityEventRepository {
  insert(events: NewSecurityEvent[]): Promise<void>;
  list(filter: SecurityEventFilter): Promise<StoredSecurityEvent[]>;
  get(id: string): Promise<StoredSecurityEvent | undefined>;
}

interface Row {
  seq: string;
  id: string;
  occurred_at: string;
  vm_id: string | null;
  tenant_id: string | null;
  event_type: string;
  severity: string;
  source_ip: string | null;
  description: string;
  details: Record<string, unknown>;
  count: string;
}

function toEvent(row: Row): StoredSecurityEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    timestamp: new Date(row.occurred_at),
    vmId: row.vm_id,
    customerId: row.tenant_id,
    eventType: row.event_type,
    severity: row.severity,
    sourceIp: row.source_ip,
    description: row.description,
    details: row.details,
    count: Number(row.count),
  };
}

export function createSecurityEventRepository(db: SqlClient): SecurityEventRepository {
  return {
    async insert(events) {
      if (events.length === 0) return;
      await db.query(
        `INSERT INTO security_events (id, occurred_at, vm_id, tenant_id, event_type, severity, source_ip, description, details, count)
         SELECT e.id, e.occurred_at, e.vm_id, e.tenant_id, e.event_type, e.severity, e.source_ip, e.description, e.details, e.count
         FROM jsonb_to_recordset($1::jsonb) AS e (id text, occurred_at timestamptz, vm_id text, tenant_id text, event_type text,
           severity text, source_ip text, description text, details jsonb, count bigint)`,
        [
          JSON.stringify(
            events.map((e) => ({
              id: e.id,
              occurred_at: e.timestamp.toISOString(),
              vm_id: e.vmId,
              tenant_id: e.customerId,
              event_type: e.eventType,
              severity: e.severity,
              source_ip: e.sourceIp,
              description: e.description,
              details: e.details,
              count: e.count,
            })),
          ),
        ],
      );
    },

    async list(f) {
      const { rows } = await db.query<Row>(
        `SELECT * FROM security_events
         WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR vm_id = $2)
           AND ($3::text IS NULL OR event_type = $3) AND ($4::text IS NULL OR severity = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at <= $6)
           AND seq > $7
         ORDER BY seq LIMIT $8`,
        [
          f.customerId ?? null,
          f.vmId ?? null,
          f.eventType ?? null,
          f.severity ?? null,
          f.start?.toISOString() ?? null,
          f.end?.toISOString() ?? null,
          f.afterSeq ?? 0,
          f.limit,
        ],
      );
      return rows.map(toEvent);
    },

    async get(id) {
      const { rows } = await db.query<Row>("SELECT * FROM security_events WHERE id = $1", [id]);
      return rows[0] && toEvent(rows[0]);
    },
  };
}
