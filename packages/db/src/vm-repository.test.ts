import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "./migrate.js";
import {
  createSecurityEventRepository,
  type NewSecurityEvent,
} from "./security-event-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import {
  AddressTakenError,
  type AuditEntry,
  ConfigConflictError,
  createVmRepository,
  type NewVm,
  VmExistsError,
} from "./vm-repository.js";

/** A control-plane event as the provisioner prepares it. */
function changeEvent(vmId: string, action: string, over: Partial<NewSecurityEvent> = {}) {
  return {
    id: `evt-${vmId}-${action}-${Math.random().toString(36).slice(2, 8)}`,
    timestamp: new Date("2026-01-01T00:00:00Z"),
    vmId,
    customerId: "tenant-e",
    eventType: "config_change",
    severity: "info",
    sourceIp: null,
    description: `${action} by test`,
    details: { action },
    count: 1,
    retentionDays: 90,
    category: "audit",
    ...over,
  } satisfies NewSecurityEvent;
}

function withEvent(vmId: string, action: string, id = `audit-${vmId}-${action}`): AuditEntry {
  return { id, actor: "test", action, details: {}, event: changeEvent(vmId, action) };
}

function newVm(id: string, addresses: string[], tenantId = "tenant-a"): NewVm {
  return {
    id,
    tenantId,
    hostId: "host-1",
    state: "CREATED",
    applicationTier: "",
    config: { cpu: { vcpu_count: 1 } },
    spec: { id },
    effective: [],
    addresses: addresses.map((address) => ({ address, prefixLength: 64, interfaceId: "eth0" })),
    createdAt: new Date("2026-01-01T00:00:00Z"),
    audit: { id: `audit-${id}`, actor: "test", action: "vm.create", details: {} },
  };
}

describe.each(Object.entries(TEST_DATABASES))("VM repository on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.drop();
  });

  it("stores a VM with its first config version, allocations and audit record", async () => {
    const repo = createVmRepository(t.db);
    await repo.insert(newVm("vm-a1", ["2001:db8::10"]));
    const vm = await repo.get("vm-a1");
    expect(vm).toMatchObject({
      id: "vm-a1",
      tenantId: "tenant-a",
      state: "CREATED",
      configVersion: 1,
    });
    expect(vm?.config).toEqual({ cpu: { vcpu_count: 1 } });
    const audit = await t.db.query("SELECT action FROM audit_records WHERE vm_id = 'vm-a1'");
    expect(audit.rows).toEqual([{ action: "vm.create" }]);
    const tenant = await t.db.query("SELECT id FROM tenants WHERE id = 'tenant-a'");
    expect(tenant.rows).toHaveLength(1);
  });

  it("refuses an address another VM holds and stores nothing of the second VM", async () => {
    const repo = createVmRepository(t.db);
    const attempt = repo.insert(newVm("vm-a2", ["2001:db8::11", "2001:db8::10"]));
    await expect(attempt).rejects.toBeInstanceOf(AddressTakenError);
    await expect(attempt).rejects.toMatchObject({ address: "2001:db8::10", holderVmId: "vm-a1" });
    expect(await repo.get("vm-a2")).toBeUndefined();
    const leftovers = await t.db.query(
      "SELECT * FROM ipv6_allocations WHERE address = '2001:db8::11'",
    );
    expect(leftovers.rows).toHaveLength(0);
    const audit = await t.db.query("SELECT * FROM audit_records WHERE vm_id = 'vm-a2'");
    expect(audit.rows).toHaveLength(0);
  });

  it("refuses a VM id that exists", async () => {
    const repo = createVmRepository(t.db);
    await expect(repo.insert(newVm("vm-a1", ["2001:db8::99"]))).rejects.toBeInstanceOf(
      VmExistsError,
    );
  });

  it("lists by tenant with keyset paging and counts", async () => {
    const repo = createVmRepository(t.db);
    await repo.insert(newVm("vm-b1", [], "tenant-b"));
    await repo.insert(newVm("vm-b2", [], "tenant-b"));
    const first = await repo.list({ tenantId: "tenant-b", limit: 1 });
    expect(first.map((v) => v.id)).toEqual(["vm-b1"]);
    const next = await repo.list({ tenantId: "tenant-b", limit: 1, afterId: "vm-b1" });
    expect(next.map((v) => v.id)).toEqual(["vm-b2"]);
    expect(await repo.count({ tenantId: "tenant-b" })).toBe(2);
  });

  it("leaves VMs in the excluded states out of a listing, in the query", async () => {
    const repo = createVmRepository(t.db);
    for (const id of ["vm-x1", "vm-x2", "vm-x3"]) await repo.insert(newVm(id, [], "tenant-x"));
    await repo.terminate("vm-x2", new Date(), {
      id: "audit-del-x2",
      actor: "test",
      action: "vm.delete",
      details: {},
    });
    const live = await repo.list({
      tenantId: "tenant-x",
      limit: 10,
      excludeStates: ["TERMINATED"],
    });
    expect(live.map((v) => v.id)).toEqual(["vm-x1", "vm-x3"]);
    const all = await repo.list({ tenantId: "tenant-x", limit: 10 });
    expect(all.map((v) => v.id)).toEqual(["vm-x1", "vm-x2", "vm-x3"]);
  });

  it("counts VMs by state in one query, of one tenant or of all", async () => {
    const repo = createVmRepository(t.db);
    await repo.insert(newVm("vm-c1", [], "tenant-c"));
    await repo.insert(newVm("vm-c2", [], "tenant-c"));
    await repo.setState("vm-c2", ["CREATED"], "RUNNING", new Date(), {
      id: "audit-boot-c2",
      actor: "test",
      action: "vm.boot",
      details: {},
    });
    expect(await repo.countByState({ tenantId: "tenant-c" })).toEqual({ CREATED: 1, RUNNING: 1 });
    expect(await repo.countByState({ tenantId: "tenant-none" })).toEqual({});
    const all = await repo.countByState({});
    expect(all.RUNNING).toBe(1);
    expect(all.CREATED).toBe(await repo.count({ state: "CREATED" }));
  });

  it("terminating releases the VM's addresses for reuse, once", async () => {
    const repo = createVmRepository(t.db);
    const audit = { id: "audit-del-a1", actor: "test", action: "vm.delete", details: {} };
    expect(await repo.terminate("vm-a1", new Date(), audit)).toEqual([]);
    expect((await repo.get("vm-a1"))?.state).toBe("TERMINATED");
    expect(
      await repo.terminate("vm-a1", new Date(), { ...audit, id: "audit-del-a1-again" }),
    ).toBeUndefined();
    await repo.insert(newVm("vm-a3", ["2001:db8::10"]));
    expect((await repo.get("vm-a3"))?.state).toBe("CREATED");
  });

  it("discarding removes every row of a VM but keeps an audit record", async () => {
    const repo = createVmRepository(t.db);
    await repo.discard("vm-a3", new Date(), {
      id: "audit-discard",
      actor: "test",
      action: "vm.create_failed",
      details: {},
    });
    expect(await repo.get("vm-a3")).toBeUndefined();
    const held = await t.db.query("SELECT * FROM ipv6_allocations WHERE address = '2001:db8::10'");
    expect(held.rows).toHaveLength(0);
    const audit = await t.db.query("SELECT action FROM audit_records WHERE id = 'audit-discard'");
    expect(audit.rows).toEqual([{ action: "vm.create_failed" }]);
  });

  it("stores each change's event with the change and its audit record, and none for a change refused", async () => {
    const repo = createVmRepository(t.db);
    const events = createSecurityEventRepository(t.db);
    const eventsOf = async (vmId: string) =>
      (await events.list({ vmId, categories: ["audit"], limit: 100 })).map((e) => e.details.action);
    const vm = {
      ...newVm("vm-e1", ["2001:db8::e1"], "tenant-e"),
      audit: withEvent("vm-e1", "vm.create"),
    };
    const [created] = await repo.insert(vm);
    expect(created).toMatchObject({ vmId: "vm-e1", eventType: "config_change" });
    expect(await events.get(created?.id ?? "")).toEqual(created);

    // Refused changes store neither their audit record nor their event.
    await expect(
      repo.insert({ ...newVm("vm-e2", ["2001:db8::e1"]), audit: withEvent("vm-e2", "vm.create") }),
    ).rejects.toBeInstanceOf(AddressTakenError);
    const next = { config: {}, spec: {}, effective: [], addresses: [] };
    await expect(
      repo.updateConfig("vm-e1", 7, next, new Date(), withEvent("vm-e1", "vm.stale_update")),
    ).rejects.toBeInstanceOf(ConfigConflictError);
    expect(await eventsOf("vm-e2")).toEqual([]);

    const updated = await repo.updateConfig(
      "vm-e1",
      1,
      next,
      new Date(),
      withEvent("vm-e1", "vm.update"),
    );
    expect(updated.version).toBe(2);
    expect(updated.events).toHaveLength(1);
    expect(
      await repo.setIsolated("vm-e1", true, new Date(), withEvent("vm-e1", "vm.isolate")),
    ).toHaveLength(1);
    expect(await repo.terminate("vm-e1", new Date(), withEvent("vm-e1", "vm.delete"))).toHaveLength(
      1,
    );
    expect(
      await repo.terminate("vm-e1", new Date(), withEvent("vm-e1", "vm.delete", "audit-again")),
    ).toBeUndefined();
    expect(
      await repo.setIsolated("vm-e1", false, new Date(), withEvent("vm-e1", "vm.unisolate")),
    ).toBeUndefined();
    expect(await eventsOf("vm-e1")).toEqual(["vm.create", "vm.update", "vm.isolate", "vm.delete"]);
    const audit = await t.db.query<{ action: string }>(
      "SELECT action FROM audit_records WHERE vm_id = 'vm-e1' ORDER BY seq",
    );
    expect(audit.rows.map((r) => r.action)).toEqual(await eventsOf("vm-e1"));
  });

  it("gives a feed reader every event once and in order while VM changes and event batches commit at once", async () => {
    const repo = createVmRepository(t.db);
    const events = createSecurityEventRepository(t.db);
    const start = await events.lastSeq();
    const written: string[] = [];
    let writing = true;
    const changes = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 15; i++) {
        const id = `vm-f${w}-${i}`;
        const audit = withEvent(id, "vm.create");
        await repo.insert({ ...newVm(id, [], "tenant-f"), audit });
        written.push(audit.event?.id ?? "");
        const gone = withEvent(id, "vm.delete");
        await repo.terminate(id, new Date(), gone);
        written.push(gone.event?.id ?? "");
      }
    });
    const batches = Array.from({ length: 2 }, async (_, w) => {
      for (let i = 0; i < 20; i++) {
        const batch = Array.from({ length: 1 + (i % 4) }, (_, j) =>
          changeEvent(`vm-g${w}-${i}-${j}`, "counter", { eventType: "ra_guard_block" }),
        );
        await events.insert(batch);
        written.push(...batch.map((e) => e.id));
      }
    });
    const all = Promise.all([...changes, ...batches]).finally(() => {
      writing = false;
    });
    const seen: string[] = [];
    let position = start;
    const readPage = async () => {
      const page = await events.readFeed(position, 7);
      seen.push(...page.map((e) => e.id));
      position = page[page.length - 1]?.seq ?? position;
      return page.length;
    };
    while (writing) await readPage();
    await all;
    while ((await readPage()) > 0) {}
    expect(seen.length).toBe(written.length);
    expect(new Set(seen)).toEqual(new Set(written));
  });

  it("migrating again applies nothing", async () => {
    expect(await migrate(t.db)).toEqual([]);
  });
});
