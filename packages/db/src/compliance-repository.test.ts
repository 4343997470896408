import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createComplianceRepository, type VmComplianceWrite } from "./compliance-repository.js";
import {
  createSecurityEventRepository,
  type NewSecurityEvent,
} from "./security-event-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import { createVmRepository } from "./vm-repository.js";

const T0 = new Date("2025-03-01T10:00:00Z");
const T1 = new Date("2025-03-01T11:00:00Z");
const T2 = new Date("2025-03-01T12:00:00Z");

type ViolationKey = { vmId: string; tenantId: string; framework: string; requirement: string };

const violation = (requirement: string) => ({
  framework: "PCI_DSS",
  requirement,
  outcome: "violated",
  severity: "error",
  detail: `${requirement} detail`,
});

/** The event of a violation opened or resolved, as the monitor would store it. */
const eventOf = (
  v: { vmId: string; tenantId: string; framework: string; requirement: string },
  type: string,
  at: Date,
): NewSecurityEvent => ({
  id: `evt-${type}-${v.vmId}-${v.requirement}`,
  timestamp: at,
  vmId: v.vmId,
  customerId: v.tenantId,
  eventType: type,
  severity: type === "compliance_violation" ? "error" : "info",
  sourceIp: null,
  description: `${v.framework} ${v.requirement}`,
  details: { framework: v.framework, requirement: v.requirement },
  count: 1,
  retentionDays: 30,
  category: "audit",
});

function write(vmId: string, fields: Partial<VmComplianceWrite>): VmComplianceWrite {
  return {
    vmId,
    tenantId: "acme",
    status: "COMPLIANT",
    since: T0,
    configVersion: 1,
    frameworks: ["PCI_DSS"],
    findings: [],
    opened: [],
    resolved: [],
    ...fields,
  };
}

describe.each(["pglite", "postgres"] as const)("compliance records on %s", (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await TEST_DATABASES[kind]();
  }, 60_000);
  afterAll(async () => {
    await database.drop();
  });

  it("stores statuses and violations, resolves them, and keeps each tenant's status with since when", async () => {
    const repo = createComplianceRepository(database.db);
    const first = await repo.write(
      [
        write("vm-a", {
          status: "NON_COMPLIANT",
          opened: [violation("2.1"), violation("1.1.4")],
          findings: [{ requirement: "2.1" }],
        }),
        write("vm-b", {}),
      ],
      [],
      T0,
    );
    expect(first.opened.map((v) => [v.vmId, v.requirement, v.openedConfigVersion]).sort()).toEqual([
      ["vm-a", "1.1.4", 1],
      ["vm-a", "2.1", 1],
    ]);
    expect(first.tenants).toMatchObject([
      { tenantId: "acme", status: "NON_COMPLIANT", vmsChecked: 2, vmsNonCompliant: 1 },
    ]);
    const loaded = await repo.load(["vm-a", "vm-b", "vm-new"]);
    expect(loaded.get("vm-a")?.open.sort()).toEqual(["PCI_DSS 1.1.4", "PCI_DSS 2.1"]);
    expect(loaded.get("vm-a")?.record).toMatchObject({
      status: "NON_COMPLIANT",
      findings: [{ requirement: "2.1" }],
    });
    expect(loaded.get("vm-new")).toEqual({ open: [] });

    // Opening an already open violation again is a no-op.
    const again = await repo.write(
      [write("vm-a", { status: "NON_COMPLIANT", opened: [violation("2.1")] })],
      [],
      T1,
    );
    expect(again.opened).toEqual([]);
    expect((await repo.tenantStatus("acme"))?.since).toEqual(T0);

    const fixed = await repo.write(
      [
        write("vm-a", {
          since: T2,
          configVersion: 2,
          resolved: [
            { framework: "PCI_DSS", requirement: "2.1", resolution: "resolved" },
            { framework: "PCI_DSS", requirement: "1.1.4", resolution: "resolved" },
          ],
        }),
      ],
      [],
      T2,
    );
    expect(
      fixed.resolved.map((v) => [v.requirement, v.resolution, v.resolvedConfigVersion]),
    ).toEqual(
      expect.arrayContaining([
        ["2.1", "resolved", 2],
        ["1.1.4", "resolved", 2],
      ]),
    );
    expect(fixed.tenants[0]).toMatchObject({ status: "COMPLIANT", since: T2 });
    expect(await repo.listViolations({ limit: 10 })).toEqual([]);
    const history = await repo.listViolations({ includeResolved: true, limit: 10 });
    expect(history.map((v) => v.requirement).sort()).toEqual(["1.1.4", "2.1"]);
    expect(Number(history[0]?.id)).toBeGreaterThan(Number(history[1]?.id));
    // Open at some time in a window: within it, yes; entirely after it was resolved, no.
    expect(
      await repo.listViolations({ includeResolved: true, activeFrom: T1, activeTo: T2, limit: 10 }),
    ).toHaveLength(2);
    expect(
      await repo.listViolations({
        includeResolved: true,
        activeFrom: new Date(T2.getTime() + 1),
        limit: 10,
      }),
    ).toEqual([]);
    // Keyset paging, newest first.
    const [newest] = history;
    expect(
      (await repo.listViolations({ includeResolved: true, beforeId: newest?.id, limit: 10 })).map(
        (v) => v.requirement,
      ),
    ).toEqual([history[1]?.requirement]);
  });

  it("a deleted VM's status goes and its open violations close as vm_deleted", async () => {
    const repo = createComplianceRepository(database.db);
    await repo.write(
      [
        write("vm-gone", {
          tenantId: "globex",
          status: "NON_COMPLIANT",
          opened: [violation("2.1")],
        }),
      ],
      [],
      T0,
    );
    expect(await repo.openViolationCounts()).toEqual([
      { framework: "PCI_DSS", requirement: "2.1", count: 1 },
    ]);
    const result = await repo.write([], ["vm-gone"], T1);
    expect(result.resolved.map((v) => v.resolution)).toEqual(["vm_deleted"]);
    expect(result.tenants).toMatchObject([
      { tenantId: "globex", status: "COMPLIANT", vmsChecked: 0, since: T1 },
    ]);
    expect(await repo.vmStatus("vm-gone")).toBeUndefined();
    expect(await repo.openViolationCounts()).toEqual([]);
  });

  it("finds the audit record of the change that stored a configuration version", async () => {
    const vms = createVmRepository(database.db);
    await vms.insert({
      id: "vm-audited",
      tenantId: "acme",
      hostId: "h1",
      state: "CREATED",
      applicationTier: "",
      config: {},
      spec: {},
      effective: [],
      addresses: [],
      createdAt: T0,
      audit: { id: "audit-1", actor: "alice", action: "vm.create", details: {} },
    });
    await vms.updateConfig(
      "vm-audited",
      1,
      { config: {}, spec: {}, effective: [], addresses: [] },
      T1,
      { id: "audit-2", actor: "bob", action: "vm.update_security", details: {} },
    );
    const repo = createComplianceRepository(database.db);
    const changes = await repo.configChanges([
      { vmId: "vm-audited", version: 2 },
      { vmId: "vm-audited", version: 1 },
      { vmId: "vm-audited", version: 9 },
    ]);
    expect(
      changes.map((c) => [c.version, c.actor, c.action, c.auditId, c.at.toISOString()]).sort(),
    ).toEqual([
      [1, "alice", "vm.create", "audit-1", T0.toISOString()],
      [2, "bob", "vm.update_security", "audit-2", T1.toISOString()],
    ]);
  });
  it("writes thousands of VMs set-based, with one event per violation opened or resolved in the same transaction", async () => {
    const repo = createComplianceRepository(database.db);
    const log = createSecurityEventRepository(database.db);
    const from = await log.lastSeq();
    const vms = Array.from({ length: 2_000 }, (_, i) => `vm-bulk-${i.toString().padStart(4, "0")}`);
    const opened = await repo.write(
      vms.map((id, i) =>
        write(id, {
          tenantId: `bulk-${i % 4}`,
          status: "NON_COMPLIANT",
          findings: [["PCI_DSS", "2.1", "violated", `it's "LOW" (${i})`, T0.toISOString(), 1, []]],
          opened: [violation("2.1"), violation("1.1.4"), violation("4.1")],
        }),
      ),
      [],
      T0,
      { events: (w) => w.opened.map((v) => eventOf(v, "compliance_violation", T0)) },
    );
    expect(opened.opened).toHaveLength(6_000);
    expect(opened.events).toHaveLength(6_000);
    expect(opened.tenants.map((t) => [t.tenantId, t.vmsNonCompliant]).sort()).toEqual([
      ["bulk-0", 500],
      ["bulk-1", 500],
      ["bulk-2", 500],
      ["bulk-3", 500],
    ]);
    // Each event is in the log, in seq order, naming its VM and requirement.
    const feed = await log.readFeed(from, 10_000);
    expect(feed.map((e) => e.seq)).toEqual(opened.events.map((e) => e.seq));
    expect(new Set(feed.map((e) => `${e.vmId} ${e.details.requirement}`)).size).toBe(6_000);
    const loaded = await repo.load([vms[7] as string]);
    expect(loaded.get(vms[7] as string)?.open.sort()).toEqual([
      "PCI_DSS 1.1.4",
      "PCI_DSS 2.1",
      "PCI_DSS 4.1",
    ]);
    expect(loaded.get(vms[7] as string)?.record?.findings).toEqual([
      ["PCI_DSS", "2.1", "violated", `it's "LOW" (7)`, T0.toISOString(), 1, []],
    ]);

    const closed = await repo.write(
      vms.map((id, i) =>
        write(id, {
          tenantId: `bulk-${i % 4}`,
          since: T1,
          configVersion: 2,
          resolved: [
            { framework: "PCI_DSS", requirement: "2.1", resolution: "resolved" },
            { framework: "PCI_DSS", requirement: "4.1", resolution: "not_required" },
          ],
        }),
      ),
      [],
      T1,
      { events: (w) => w.resolved.map((v) => eventOf(v, "compliance_restored", T1)) },
    );
    expect(closed.resolved).toHaveLength(4_000);
    expect(closed.events).toHaveLength(4_000);
    expect(closed.resolved[0]).toMatchObject({ openedAt: T0, resolvedAt: T1 });
    // Each resolved record is the stored row (the write returns it without its detail).
    for (const vmId of [vms[0], vms[7], vms[1_999]] as string[]) {
      const stored = await repo.listViolations({ vmId, includeResolved: true, limit: 10 });
      const returned = closed.resolved.filter((v) => v.vmId === vmId);
      expect(returned).toHaveLength(2);
      for (const r of returned) {
        const { detail: _, ...row } = stored.find((v) => v.id === r.id) ?? { detail: "" };
        expect(r).toEqual(row);
      }
    }
    expect(
      (await repo.openViolationCounts()).filter((c) => c.count >= 2_000).map((c) => c.requirement),
    ).toEqual(["1.1.4"]);
    expect(closed.tenants.map((t) => t.vmsNonCompliant)).toEqual([0, 0, 0, 0]);
  });

  it("a write whose events fail stores nothing: no status, no violation, no event", async () => {
    const repo = createComplianceRepository(database.db);
    const log = createSecurityEventRepository(database.db);
    const from = await log.lastSeq();
    await expect(
      repo.write(
        [
          write("vm-atomic", {
            tenantId: "atomic",
            status: "NON_COMPLIANT",
            opened: [violation("2.1")],
          }),
        ],
        [],
        T0,
        {
          // Two events with one id: the log's unique id refuses the second.
          events: (w) => [
            eventOf(w.opened[0] as ViolationKey, "compliance_violation", T0),
            eventOf(w.opened[0] as ViolationKey, "compliance_violation", T0),
          ],
        },
      ),
    ).rejects.toThrow();
    expect(await repo.vmStatus("vm-atomic")).toBeUndefined();
    expect(await repo.listViolations({ vmId: "vm-atomic", limit: 10 })).toEqual([]);
    expect(await log.readFeed(from, 10)).toEqual([]);
  });

  it("reads the engine's inputs of VMs by id and page by page, policies as stored text", async () => {
    const vms = createVmRepository(database.db);
    const effective = [{ interfaceId: "eth0", policy: { compliance: { frameworks: ["SOC2"] } } }];
    for (const id of ["vm-in-1", "vm-in-2", "vm-in-3"])
      await vms.insert({
        id,
        tenantId: "inputs",
        hostId: "h1",
        state: "CREATED",
        applicationTier: "",
        config: {},
        spec: { profile: "HIGH", compliance: { frameworks: ["PCI_DSS"], dataResidency: "EU" } },
        effective,
        addresses: [],
        createdAt: T0,
        audit: { id: `audit-${id}`, actor: "alice", action: "vm.create", details: {} },
      });
    const repo = createComplianceRepository(database.db);
    const [one] = await repo.inputs({ vmIds: ["vm-in-2", "vm-missing"] });
    expect(one).toEqual({
      vmId: "vm-in-2",
      tenantId: "inputs",
      state: "CREATED",
      configVersion: 1,
      profile: "HIGH",
      frameworks: ["PCI_DSS"],
      dataResidency: "EU",
      effective: expect.any(String),
    });
    expect(JSON.parse(one?.effective ?? "")).toEqual(effective);
    const first = await repo.inputs({ afterId: "vm-in-0", limit: 2 });
    expect(first.map((r) => r.vmId)).toEqual(["vm-in-1", "vm-in-2"]);
    const next = await repo.inputs({ afterId: "vm-in-2", limit: 2 });
    expect(next[0]?.vmId).toBe("vm-in-3");
  });

  it("gives a host of a fleet its own VMs to evaluate, and statuses of VMs gone to any host", async () => {
    const vms = createVmRepository(database.db);
    for (const [id, hostId] of [
      ["vm-fleet-a", "host-a"],
      ["vm-fleet-b", "host-b"],
    ] as const)
      await vms.insert({
        id,
        tenantId: "fleet",
        hostId,
        state: "CREATED",
        applicationTier: "",
        config: {},
        spec: { profile: "HIGH" },
        effective: [],
        addresses: [],
        createdAt: T0,
        audit: { id: `audit-${id}`, actor: "alice", action: "vm.create", details: {} },
      });
    const all = createComplianceRepository(database.db);
    await all.write(
      [
        write("vm-fleet-a", { tenantId: "fleet" }),
        write("vm-fleet-b", { tenantId: "fleet" }),
        write("vm-fleet-gone", { tenantId: "fleet" }),
      ],
      [],
      T0,
    );
    const hostA = createComplianceRepository(database.db, { hostId: "host-a" });
    const page = await hostA.inputs({ afterId: "vm-fleet", limit: 100 });
    expect(page.map((r) => r.vmId).filter((id) => id.startsWith("vm-fleet"))).toEqual([
      "vm-fleet-a",
    ]);
    const ids = (await hostA.vmIds()).filter((id) => id.startsWith("vm-fleet"));
    expect(ids.sort()).toEqual(["vm-fleet-a", "vm-fleet-gone"]);
    expect((await all.vmIds()).filter((id) => id.startsWith("vm-fleet")).sort()).toEqual([
      "vm-fleet-a",
      "vm-fleet-b",
      "vm-fleet-gone",
    ]);
  });
});
