// A VM's configuration versions as its history shows them: each stored version with the audit
// record of the change that stored it (who and which action), newest first in keyset pages,
// and one version by number.
import type { SqlExecutor } from "./sql-client.js";

export interface HistoryVersion {
  version: number;
  createdAt: Date;
  config: unknown;
  spec: unknown;
  effective: unknown;
  /** The change's audit record, if one is left (matched by VM and the instant it was stored). */
  actor: string | null;
  action: string | null;
  auditId: string | null;
}

export interface HistoryPage {
  /** Versions older than this one (keyset paging); undefined for the newest. */
  beforeVersion?: number;
  limit: number;
}

export interface ConfigHistoryRepository {
  /** Versions newest first: up to `limit`, older than `beforeVersion`. */
  list(vmId: string, page: HistoryPage): Promise<HistoryVersion[]>;
  /** One version, or undefined when the VM has no such version. */
  get(vmId: string, version: number): Promise<HistoryVersion | undefined>;
}

interface Row {
  version: number;
  created_at: string;
  config: unknown;
  spec: unknown;
  effective: unknown;
  actor: string | null;
  action: string | null;
  audit_id: string | null;
}

// A version and its audit record are written by one transaction with the same instant (see
// VmRepository), so (vm_id, occurred_at) finds it through the audit_records_vm_idx index.
const SELECT_VERSIONS = `
SELECT c.version, c.created_at, c.config, c.spec, c.effective, a.actor, a.action, a.id AS audit_id
FROM vm_config_versions c
LEFT JOIN LATERAL (
  SELECT actor, action, id FROM audit_records r
  WHERE r.vm_id = c.vm_id AND r.occurred_at = c.created_at ORDER BY r.seq LIMIT 1
) a ON true`;

function toVersion(row: Row): HistoryVersion {
  return {
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    config: row.config,
    spec: row.spec,
    effective: row.effective,
    actor: row.actor,
    action: row.action,
    auditId: row.audit_id,
  };
}

export function createConfigHistoryRepository(db: SqlExecutor): ConfigHistoryRepository {
  return {
    async list(vmId, page) {
      const { rows } = await db.query<Row>(
        `${SELECT_VERSIONS}
         WHERE c.vm_id = $1 AND ($2::integer IS NULL OR c.version < $2)
         ORDER BY c.version DESC LIMIT $3`,
        [vmId, page.beforeVersion ?? null, page.limit],
      );
      return rows.map(toVersion);
    },

    async get(vmId, version) {
      const { rows } = await db.query<Row>(
        `${SELECT_VERSIONS} WHERE c.vm_id = $1 AND c.version = $2`,
        [vmId, version],
      );
      return rows[0] && toVersion(rows[0]);
    },
  };
}
