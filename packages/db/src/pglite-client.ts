// The embedded database: PGlite (Postgres compiled to WebAssembly) in a data directory.
import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlExecutor } from "./sql-client.js";

/** Opens PGlite in `dataDir` (created if missing), or in memory when `dataDir` is "memory://". */
export async function createPgliteClient(dataDir: string): Promise<SqlClient> {
  if (!dataDir.startsWith("memory://")) await mkdir(dataDir, { recursive: true });
  // Timestamps and bigints come back as text, as from the PostgreSQL client.
  const asText = (value: string) => value;
  const db = await PGlite.create(dataDir, { parsers: { 20: asText, 1184: asText } });
  const wrap = (q: Pick<PGlite, "query" | "exec">): SqlExecutor => ({
    async exec(sql: string) {
      await q.exec(sql);
    },
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const result = await q.query<T>(sql, params as unknown[]);
      return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
    },
  });
  return {
    kind: "pglite",
    ...wrap(db),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
