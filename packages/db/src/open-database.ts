// Opens the configured database and brings its schema up to date.

import { migrate } from "./migrate.js";
import { createPgliteClient } from "./pglite-client.js";
import { createPostgresClient } from "./postgres-client.js";
import type { SqlClient } from "./sql-client.js";

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent the embedded PGlite database in `dataDir` is used. */
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  /** PostgreSQL schema (tests use one each). */
  schema?: string;
}

export async function openDatabase(options: DatabaseOptions): Promise<SqlClient> {
  const db = options.databaseUrl
    ? await createPostgresClient({
        url: options.databaseUrl,
        max: options.poolSize,
        schema: options.schema,
      })
    : await createPgliteClient(options.dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
