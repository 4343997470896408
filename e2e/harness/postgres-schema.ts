// A PostgreSQL schema of its own for each server (or fleet of servers) under test: they share the
// local database without seeing each other's tables.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_URL =
  process.env.METALD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates schema `<prefix>_<random>`; `url` connects with it as the search path. */
export async function createPostgresSchema(
  prefix: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomBytes(6).toString("hex")}`;
  await adminQuery(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    name: schema,
    url: url.toString(),
    drop: () => adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}
