import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfigHistoryRepository } from "./config-history-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import { createVmRepository } from "./vm-repository.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe.each(Object.entries(TEST_DATABASES))("config history repository on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
    const vms = createVmRepository(t.db);
    await vms.insert({
      id: "vm-h1",
      tenantId: "tenant-h",
      hostId: "host-1",
      state: "CREATED",
      applicationTier: "",
      config: { n: 1 },
      spec: {},
      effective: [],
      addresses: [],
      createdAt: at(0),
      audit: { id: "audit-h1-1", actor: "alice", action: "create_vm", details: {} },
    });
    for (let v = 1; v < 5; v++) {
      await vms.updateConfig(
        "vm-h1",
        v,
        { config: { n: v + 1 }, spec: {}, effective: [], addresses: [] },
        at(v * 10),
        { id: `audit-h1-${v + 1}`, actor: `user-${v}`, action: "update_vm", details: {} },
      );
    }
    // PGlite's first open compiles its WebAssembly: seconds on a loaded machine.
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  it("lists versions newest first with the audit record of each change", async () => {
    const repo = createConfigHistoryRepository(t.db);
    const page = await repo.list("vm-h1", { limit: 2 });
    expect(page.map((v) => [v.version, v.actor, v.action, v.auditId])).toEqual([
      [5, "user-4", "update_vm", "audit-h1-5"],
      [4, "user-3", "update_vm", "audit-h1-4"],
    ]);
    expect(page[0]?.config).toEqual({ n: 5 });
    expect(page[0]?.createdAt.toISOString()).toBe(at(40).toISOString());
  });

  it("pages by version without gaps or repeats", async () => {
    const repo = createConfigHistoryRepository(t.db);
    const seen: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await repo.list("vm-h1", { beforeVersion: before, limit: 2 });
      seen.push(...page.map((v) => v.version));
      if (page.length < 2) break;
      before = page[page.length - 1]?.version;
    }
    expect(seen).toEqual([5, 4, 3, 2, 1]);
  });

  it("reads one version, and nothing for a version or VM that does not exist", async () => {
    const repo = createConfigHistoryRepository(t.db);
    expect(await repo.get("vm-h1", 1)).toMatchObject({
      version: 1,
      actor: "alice",
      action: "create_vm",
      config: { n: 1 },
    });
    expect(await repo.get("vm-h1", 9)).toBeUndefined();
    expect(await repo.get("vm-nope", 1)).toBeUndefined();
    expect(await repo.list("vm-nope", { limit: 10 })).toEqual([]);
  });
});
