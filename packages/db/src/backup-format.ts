// The backup document of `metald backup` and `metald restore`: what it holds, in which order
// its tables are written and restored, and the checks a document passes before it is restored.
// Pure: no database here.
//
// A document is one JSON object:
//   { "format": "metald-backup", "format_version": 1, "created_at": ISO, "schema_version": N,
//     "database": "pglite" | "postgres", "tables": { "<table>": [ {column: value, …}, … ], … } }
// Rows are the tables' own columns (protobuf JSON configurations stay JSON; timestamps are
// ISO 8601 with microseconds; bigint and numeric columns are strings so that no value loses
// digits in a JavaScript number).

export const BACKUP_FORMAT = "metald-backup";
/** Raised when the document's shape changes so that an older metald could misread it. */
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupTable {
  name: string;
  /** Columns that order its rows: the same database gives the same document. */
  orderBy: string[];
  /** Columns written as strings: integers wider than a JavaScript number holds exactly. */
  textColumns?: string[];
  /** A sequence the table's values come from, moved past them after a restore. */
  sequence?: { name: string; column: string };
  /**
   * A one-row table its migration creates (the audit chain's head): a restore replaces its row,
   * and the row does not make a database count as holding data.
   */
  singleton?: boolean;
}

/**
 * What a host needs to rebuild the same enforcement, in an order that satisfies the foreign
 * keys: tenants (with the packet mark each one's rules carry), pools, VMs with every version of
 * their configuration, address allocations, API tokens (hashes only), blocked sources and the
 * host bridges VMs were given; then the audit trail as stored (records, signed checkpoints and
 * the chain's head), so that it still verifies and the history still names who changed what.
 * Not included: security events, SIEM positions and compliance state (see docs/operations.md).
 */
export const BACKUP_TABLES: readonly BackupTable[] = [
  {
    name: "tenants",
    orderBy: ["id"],
    textColumns: ["mark"],
    sequence: { name: "tenant_marks", column: "mark" },
  },
  { name: "ipv6_pools", orderBy: ["id"], textColumns: ["next_offset"] },
  { name: "vms", orderBy: ["id"] },
  { name: "vm_config_versions", orderBy: ["vm_id", "version"] },
  { name: "ipv6_allocations", orderBy: ["address"] },
  { name: "api_tokens", orderBy: ["id"] },
  { name: "blocked_sources", orderBy: ["source"] },
  { name: "host_bridges", orderBy: ["host_id", "scope", "name"] },
  { name: "audit_records", orderBy: ["seq"], textColumns: ["seq"] },
  { name: "audit_checkpoints", orderBy: ["seq"], textColumns: ["seq"] },
  {
    name: "audit_chain",
    orderBy: ["id"],
    textColumns: ["start_seq", "head_seq", "purged_through_seq"],
    singleton: true,
  },
];

export type BackupRow = Record<string, unknown>;

export interface BackupDocument {
  format: typeof BACKUP_FORMAT;
  format_version: number;
  created_at: string;
  /** The newest migration of the database it was read from. */
  schema_version: number;
  database: "pglite" | "postgres";
  tables: Record<string, BackupRow[]>;
}

/** A document that cannot be restored, with the reason in terms of its fields. */
export class BackupFormatError extends Error {
  override name = "BackupFormatError";
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks a parsed document for a database at `schemaVersion`: the format and its version, a
 * schema no newer than this one, known tables only, rows as objects.
 */
export function checkBackupDocument(value: unknown, schemaVersion: number): BackupDocument {
  if (!isObject(value)) throw new BackupFormatError("the backup is not a JSON object");
  if (value.format !== BACKUP_FORMAT)
    throw new BackupFormatError(
      `format: expected ${JSON.stringify(BACKUP_FORMAT)}, found ${JSON.stringify(value.format)}`,
    );
  if (value.format_version !== BACKUP_FORMAT_VERSION)
    throw new BackupFormatError(
      `format_version: this metald reads version ${BACKUP_FORMAT_VERSION}, found ${JSON.stringify(value.format_version)}`,
    );
  const schema = value.schema_version;
  if (typeof schema !== "number" || !Number.isInteger(schema) || schema < 1)
    throw new BackupFormatError("schema_version: must be a migration number");
  if (schema > schemaVersion)
    throw new BackupFormatError(
      `schema_version: the backup comes from a newer metald (schema ${schema}, this one has ${schemaVersion}); restore it with that version or a later one`,
    );
  if (!isObject(value.tables)) throw new BackupFormatError("tables: must be an object");
  const known = new Set(BACKUP_TABLES.map((t) => t.name));
  for (const [name, rows] of Object.entries(value.tables)) {
    if (!known.has(name))
      throw new BackupFormatError(`tables.${name}: not a table metald backs up`);
    if (!Array.isArray(rows) || !rows.every(isObject))
      throw new BackupFormatError(`tables.${name}: must be a list of rows (objects)`);
  }
  return value as unknown as BackupDocument;
}
