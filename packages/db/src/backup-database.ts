// Reads a backup document from a database in one consistent snapshot, and restores one into an
// empty database in one transaction (all of it or nothing).
import {
  BACKUP_FORMAT,
  BACKUP_FORMAT_VERSION,
  BACKUP_TABLES,
  type BackupDocument,
  BackupFormatError,
  type BackupRow,
  checkBackupDocument,
} from "./backup-format.js";
import type { SqlClient, SqlExecutor } from "./sql-client.js";

/** The database already holds data: restoring would mix two hosts' state. */
export class DatabaseNotEmptyError extends Error {
  override name = "DatabaseNotEmptyError";
  constructor(readonly counts: Record<string, number>) {
    const held = Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([table, n]) => `${table}: ${n}`)
      .join(", ");
    super(
      `the database is not empty (${held}); metald restores into an empty database only: point METALD_DATA_DIR (or DATABASE_URL) at a new one`,
    );
  }
}

async function schemaVersion(tx: SqlExecutor): Promise<number> {
  const { rows } = await tx.query<{ v: number | null }>(
    "SELECT max(version) AS v FROM schema_migrations",
  );
  return Number(rows[0]?.v ?? 0);
}

/** Every table of the document, read in one REPEATABLE READ, read-only transaction. */
export async function readBackup(db: SqlClient, now = new Date()): Promise<BackupDocument> {
  return db.transaction(async (tx) => {
    // One snapshot for every table: a change committed meanwhile is in all of them or none.
    await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const schema = await schemaVersion(tx);
    const tables: Record<string, BackupRow[]> = {};
    for (const t of BACKUP_TABLES) {
      const texts = (t.textColumns ?? []).map((c) => `'${c}', r.${c}::text`).join(", ");
      const row = texts === "" ? "to_jsonb(r)" : `to_jsonb(r) || jsonb_build_object(${texts})`;
      const order = t.orderBy.map((c) => `r.${c}`).join(", ");
      const { rows } = await tx.query<{ rows: BackupRow[] | string }>(
        `SELECT coalesce(jsonb_agg(${row} ORDER BY ${order}), '[]'::jsonb) AS rows FROM ${t.name} r`,
      );
      const value = rows[0]?.rows ?? [];
      tables[t.name] = typeof value === "string" ? (JSON.parse(value) as BackupRow[]) : value;
    }
    return {
      format: BACKUP_FORMAT,
      format_version: BACKUP_FORMAT_VERSION,
      created_at: now.toISOString(),
      schema_version: schema,
      database: db.kind,
      tables,
    };
  });
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/**
 * Restores a document (checked by checkBackupDocument) into `db`, which must hold none of the
 * backed-up tables' rows; returns the number of rows restored per table.
 */
export async function restoreBackup(
  db: SqlClient,
  value: unknown,
): Promise<Record<string, number>> {
  return db.transaction(async (tx) => {
    const doc = checkBackupDocument(value, await schemaVersion(tx));
    const counts: Record<string, number> = {};
    for (const t of BACKUP_TABLES.filter((t) => !t.singleton)) {
      const { rows } = await tx.query<{ n: string }>(`SELECT count(*) AS n FROM ${t.name}`);
      counts[t.name] = Number(rows[0]?.n ?? 0);
    }
    if (Object.values(counts).some((n) => n > 0)) throw new DatabaseNotEmptyError(counts);

    const restored: Record<string, number> = {};
    for (const t of BACKUP_TABLES) {
      const rows = doc.tables[t.name] ?? [];
      restored[t.name] = rows.length;
      if (rows.length === 0) continue;
      const { rows: existing } = await tx.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1`,
        [t.name],
      );
      const known = new Set(existing.map((c) => c.column_name));
      // The backup's columns only: a column added by a later migration takes its default.
      const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
      const unknown = columns.find((c) => !known.has(c));
      if (unknown !== undefined)
        throw new BackupFormatError(
          `tables.${t.name}: column ${JSON.stringify(unknown)} does not exist`,
        );
      const list = columns.map(quote).join(", ");
      if (t.singleton) await tx.query(`DELETE FROM ${t.name}`);
      await tx.query(
        `INSERT INTO ${t.name} (${list})
         SELECT ${list} FROM jsonb_populate_recordset(NULL::${t.name}, $1::jsonb)`,
        [JSON.stringify(rows)],
      );
      if (t.sequence)
        await tx.query(
          `SELECT setval($1::regclass, (SELECT max(${t.sequence.column}) FROM ${t.name}))`,
          [t.sequence.name],
        );
    }
    return restored;
  });
}
