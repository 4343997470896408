// `metald restore < file`: a `metald backup` document into an EMPTY database, in one
// transaction. A database that already holds tenants, VMs, pools, tokens, blocked sources,
// host bridges or audit records is refused (exit 1): merging two hosts' state could hand one
// address, mark or bridge to two owners. The next `metald serve` rebuilds the host's
// enforcement from it.
import { BackupFormatError, DatabaseNotEmptyError, restoreBackup } from "@metald/db";
import { type DatabaseFlags, openCommandDatabase } from "./database-command.js";

async function readAll(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export async function runRestore(
  flags: DatabaseFlags,
  input: NodeJS.ReadableStream = process.stdin,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readAll(input));
  } catch (error) {
    err.write(`metald restore: the input is not JSON (${(error as Error).message})\n`);
    process.exitCode = 1;
    return;
  }
  const db = await openCommandDatabase(flags);
  try {
    const restored = await restoreBackup(db, doc);
    const counts = Object.entries(restored)
      .map(([table, n]) => `${table} ${n}`)
      .join(", ");
    err.write(`metald restore: restored ${counts}\n`);
    process.exitCode = 0;
  } catch (error) {
    if (error instanceof DatabaseNotEmptyError || error instanceof BackupFormatError) {
      err.write(`metald restore: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await db.close();
  }
}
