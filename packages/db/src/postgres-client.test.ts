import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createPostgresClient } from "./postgres-client.js";
import { POSTGRES_URL } from "./test-databases.js";

describe("createPostgresClient", () => {
  it("survives the server dropping its idle connections, and the next query works", async () => {
    const name = `metald-idle-${randomBytes(4).toString("hex")}`;
    const errors: Error[] = [];
    const url = new URL(POSTGRES_URL);
    url.searchParams.set("application_name", name);
    const client = await createPostgresClient({
      url: url.toString(),
      max: 2,
      onIdleError: (error) => errors.push(error),
    });
    await client.query("SELECT 1");
    const admin = await createPostgresClient({ url: POSTGRES_URL, max: 1 });
    await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
      [name],
    );
    await admin.close();
    await expect.poll(() => errors.length, { timeout: 5_000 }).toBeGreaterThan(0);
    expect((await client.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.close();
  });
});
