// Both databases every database test runs against, here and in the packages above (exported as
// @metald/db/testing): PGlite in memory and PostgreSQL in a schema of its own
// (METALD_TEST_POSTGRES_URL, default the local server's "test" database).
import { randomBytes } from "node:crypto";
import { openDatabase } from "./open-database.js";
import { createPostgresClient } from "./postgres-client.js";
import type { SqlClient } from "./sql-client.js";

export const POSTGRES_URL =
  process.env.METALD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  db: SqlClient;
  drop(): Promise<void>;
}

export const TEST_DATABASES: Record<"pglite" | "postgres", () => Promise<TestDatabase>> = {
  async pglite() {
    const db = await openDatabase({ dataDir: "memory://" });
    return { db, drop: () => db.close() };
  },
  async postgres() {
    const schema = `metald_test_${randomBytes(6).toString("hex")}`;
    const db = await openDatabase({ databaseUrl: POSTGRES_URL, dataDir: "", schema });
    return {
      db,
      async drop() {
        await db.close();
        const admin = await createPostgresClient({ url: POSTGRES_URL, max: 1 });
        await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
        await admin.close();
      },
    };
  },
};
