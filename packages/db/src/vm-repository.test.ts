import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "./migrate.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import {
  AddressTakenError,
  createVmRepository,
  type NewVm,
  VmExistsError,
} from "./vm-repository.js";

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

  it("terminating releases the VM's addresses for reuse, once", async () => {
    const repo = createVmRepository(t.db);
    const audit = { id: "audit-del-a1", actor: "test", action: "vm.delete", details: {} };
    expect(await repo.terminate("vm-a1", new Date(), audit)).toBe(true);
    expect((await repo.get("vm-a1"))?.state).toBe("TERMINATED");
    expect(await repo.terminate("vm-a1", new Date(), { ...audit, id: "audit-del-a1-again" })).toBe(
      false,
    );
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

  it("migrating again applies nothing", async () => {
    expect(await migrate(t.db)).toEqual([]);
  });
});
