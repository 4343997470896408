// `metald backup > file`: the host's tenants, pools and allocations, VM configurations with
// their history, API tokens (hashes only), blocked sources, host bridges and the audit trail as
// one versioned JSON document (packages/db/src/backup-format.ts), read in one consistent
// snapshot.
import { readBackup } from "@metald/db";
import { type DatabaseFlags, openCommandDatabase } from "./database-command.js";

/** Writes the document to `out`, resolving once it is flushed; sets the exit code. */
export async function runBackup(
  flags: DatabaseFlags,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  const db = await openCommandDatabase(flags);
  try {
    const doc = await readBackup(db);
    const text = `${JSON.stringify(doc)}\n`;
    // Resolved on flush: a large document written to a pipe must all leave before exit.
    await new Promise<void>((resolve, reject) =>
      out.write(text, (error) => (error ? reject(error) : resolve())),
    );
    const counts = Object.entries(doc.tables)
      .map(([table, rows]) => `${table} ${rows.length}`)
      .join(", ");
    err.write(
      `metald backup: format ${doc.format_version}, schema ${doc.schema_version}: ${counts}\n`,
    );
    process.exitCode = 0;
    return;
  } finally {
    await db.close();
  }
}
