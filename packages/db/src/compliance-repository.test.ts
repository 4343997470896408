import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createComplianceRepository, type VmComplianceWrite } from "./compliance-repository.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import { createVmRepository } from "./vm-repository.js";

const T0 = new Date("2025-03-01T10:00:00Z");
const T1 = new Date("2025-03-01T11:00:00Z");
const T2 = new Date("2025-03-01T12:00:00Z");

const violation = (requirement: string) => ({
  framework: "PCI_DSS",
  requirement,
  outcome: "violated",
  severity: "error",
  detail: `${requirement} detail`,
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
});
