import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostBridgeRepository } from "./host-bridge-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";

describe.each(["pglite", "postgres"] as const)("host bridges on %s", (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await TEST_DATABASES[kind]();
  }, 60_000);
  afterAll(async () => {
    await database.drop();
  });

  it("records a bridge once, for its host and scope only, and forgets it", async () => {
    const sandbox = createHostBridgeRepository(database.db, { hostId: "h1", scope: "msbx-1" });
    const host = createHostBridgeRepository(database.db, { hostId: "h1", scope: "" });
    const other = createHostBridgeRepository(database.db, { hostId: "h2", scope: "msbx-1" });
    await sandbox.record("br-acme", "acme");
    await sandbox.record("br-acme", "globex");
    expect(await sandbox.owns("br-acme")).toBe(true);
    expect(await host.owns("br-acme")).toBe(false);
    expect(await other.owns("br-acme")).toBe(false);
    expect((await sandbox.list()).map((b) => [b.name, b.tenantId])).toEqual([["br-acme", "acme"]]);
    await sandbox.forget("br-acme");
    expect(await sandbox.owns("br-acme")).toBe(false);
    expect(await sandbox.list()).toEqual([]);
  });
});
