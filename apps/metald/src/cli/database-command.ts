// Opens the database a command works on exactly as `metald serve` does: DATABASE_URL (or
// --database-url) for PostgreSQL, else PGlite in METALD_DATA_DIR (or --data-dir), migrated.
import { openDatabase, type SqlClient } from "@metald/db";
import { readEnv } from "../env.js";

export interface DatabaseFlags {
  "data-dir"?: string;
  "database-url"?: string;
}

export async function openCommandDatabase(flags: DatabaseFlags): Promise<SqlClient> {
  const env = readEnv({
    ...process.env,
    ...(flags["data-dir"] && { METALD_DATA_DIR: flags["data-dir"] }),
    ...(flags["database-url"] && { DATABASE_URL: flags["database-url"] }),
  });
  return openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.METALD_DATA_DIR, poolSize: 1 });
}
