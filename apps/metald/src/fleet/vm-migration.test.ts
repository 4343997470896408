// MigrateVm between two hosts on one database: the target programs the VM before it takes the
// row (so the VM is never unenforced where it runs), the source removes its copy once it reads
// the move, a retry changes nothing, a refused program leaves everything as it was, a running
// VM does not leave a stale host, and a change the source makes during a move is refused.
import {
  createDryRunDriver,
  createNoRuntime,
  HostApplyError,
  type HostDriver,
  type HostPlan,
} from "@metald/core";
import {
  createHostRepository,
  createVmMoveLog,
  createVmRepository,
  type SqlClient,
  VmBusyError,
} from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toConnectError } from "../connect/to-connect-error.js";
import { createVmRequest, quietLogger } from "../testing/test-requests.js";
import { createHostChangeLock } from "../vm/host-change-lock.js";
import { createVmMigration } from "../vm/vm-migration.js";
import { createVmProvisioner, VmOwnedElsewhereError, VmStateError } from "../vm/vm-provisioner.js";

async function hostOf(db: SqlClient, vmId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ host_id: string }>("SELECT host_id FROM vms WHERE id = $1", [
    vmId,
  ]);
  return rows[0]?.host_id;
}

async function migrateRecords(db: SqlClient, vmId: string) {
  const { rows } = await db.query<{ actor: string; details: Record<string, unknown> }>(
    "SELECT actor, details FROM audit_records WHERE vm_id = $1 AND action = 'vm.migrate' ORDER BY seq",
    [vmId],
  );
  return rows;
}

describe("MigrateVm on pglite", () => {
  it("is refused: no other host shares an in-process database", async () => {
    const t = await TEST_DATABASES.pglite();
    try {
      const migration = createVmMigration({
        hostId: "solo",
        sharedDatabase: t.db.kind === "postgres",
        provisioner: {
          get: async () => undefined,
          plan: () => {
            throw new Error("unused");
          },
        },
        repository: createVmRepository(t.db),
        hosts: createHostRepository(t.db),
        moves: createVmMoveLog(t.db),
        driver: createDryRunDriver(),
        runtime: createNoRuntime(),
        hostLock: createHostChangeLock(),
        clock: { now: () => new Date() },
        auditId: () => "audit-unused",
        logger: quietLogger,
      });
      const refused = await migration
        .migrateHere("vm-any", "operator", "")
        .catch((e: unknown) => e);
      expect(toConnectError(refused).code).toBe(9); // failed_precondition
      expect(toConnectError(refused).rawMessage).toContain("needs a database shared by the hosts");
    } finally {
      await t.drop();
    }
  }, 60_000);
});

describe("MigrateVm on postgres", () => {
  const name = "postgres";
  const open = TEST_DATABASES.postgres;
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  let serial = 0;
  /** A host of the fleet; `during` runs inside its driver's applyVm (the move's program step). */
  async function host(hostId: string, lastHeartbeatAt = new Date()) {
    const dryRun = createDryRunDriver();
    const hooks: {
      refuse: boolean;
      during?: (plan: HostPlan) => Promise<void>;
      removed: string[];
    } = { refuse: false, removed: [] };
    const driver: HostDriver = {
      ...dryRun,
      async applyVm(plan) {
        await hooks.during?.(plan);
        if (hooks.refuse)
          throw new HostApplyError(
            plan.vmId,
            "nftables",
            undefined,
            new Error("nft: Permission denied"),
          );
        await dryRun.applyVm(plan);
      },
      async removeVm(plan) {
        hooks.removed.push(plan.vmId);
        await dryRun.removeVm(plan);
      },
    };
    const hostLock = createHostChangeLock();
    const clock = { now: () => new Date() };
    const auditId = () => `audit-${hostId}-${serial++}`;
    const provisioner = createVmProvisioner({
      repository: createVmRepository(t.db, { hostId }),
      driver,
      runtime: createNoRuntime(),
      clock,
      ids: { vmId: () => `vm-${hostId}-${serial++}`, auditId },
      hostId,
      hostLock,
      defaultProfile: "MEDIUM",
      defaultTenant: "default",
      logger: quietLogger,
    });
    await createHostRepository(t.db).register({
      hostId,
      address: `http://${hostId}:8080`,
      version: "test",
      driver: "dry-run",
      capabilities: { nftables: true, vlanDevices: false, bridgeVlanFiltering: false, notes: [] },
      heartbeatMs: 1_000,
      startedAt: lastHeartbeatAt,
    });
    const released: string[] = [];
    const migration = createVmMigration({
      hostId,
      sharedDatabase: t.db.kind === "postgres",
      provisioner,
      repository: createVmRepository(t.db),
      hosts: createHostRepository(t.db),
      moves: createVmMoveLog(t.db),
      driver,
      runtime: createNoRuntime(),
      hostLock,
      clock,
      auditId,
      logger: quietLogger,
      onReleased: (vmId) => released.push(vmId),
    });
    await migration.start();
    return { hostId, driver: dryRun, hooks, provisioner, migration, released };
  }

  it("programs the target before it takes the VM, then the source removes its copy; a retry changes nothing", async () => {
    const a = await host(`${name}-a`);
    const b = await host(`${name}-b`);
    const { vmId } = await a.provisioner.create(
      createVmRequest({
        tenant_id: "movers",
        network: [
          {
            id: "eth0",
            ipv6: { address: "2001:db8:7a::1/64" },
            security_policy: {
              ingress_rules: ["allow tcp from any to any port 80", "deny all from any to any"],
            },
          },
        ],
      }),
      "operator",
    );
    const before = await a.provisioner.get(vmId);
    // While B programs the VM, the database still places it on A (which still enforces it).
    const seenDuringProgram: (string | undefined)[] = [];
    b.hooks.during = async () => {
      seenDuringProgram.push(await hostOf(t.db, vmId));
      expect(a.driver.applied.has(vmId)).toBe(true);
    };
    const moved = await b.migration.migrateHere(vmId, "operator:ops", "drain host a");
    expect(moved).toEqual({
      vmId,
      hostId: b.hostId,
      sourceHostId: a.hostId,
      moved: true,
      state: "CREATED",
    });
    expect(seenDuringProgram).toEqual([a.hostId]);
    // Same identity and plan on B: id, MAC, addresses, policy elements.
    const after = await b.provisioner.get(vmId);
    expect(after?.record).toMatchObject({ hostId: b.hostId, configVersion: 1 });
    expect(after?.config).toEqual(before?.config);
    const planOnB = b.driver.applied.get(vmId);
    const planOnA = a.driver.applied.get(vmId);
    expect(planOnB?.ports.map((p) => [p.name, p.mac, p.addresses])).toEqual(
      planOnA?.ports.map((p) => [p.name, p.mac, p.addresses]),
    );
    expect(planOnB?.elements).toEqual(planOnA?.elements);
    expect(await migrateRecords(t.db, vmId)).toEqual([
      {
        actor: "operator:ops",
        details: { from_host: a.hostId, to_host: b.hostId, reason: "drain host a" },
      },
    ]);

    // A reads the move and removes its copy; B keeps its own.
    expect(await a.migration.releaseMoved()).toEqual([vmId]);
    expect(a.driver.applied.has(vmId)).toBe(false);
    expect(a.released).toEqual([vmId]);
    expect(b.driver.applied.has(vmId)).toBe(true);
    expect(await b.migration.releaseMoved()).toEqual([]);
    expect(await a.migration.releaseMoved()).toEqual([]);

    // A retry: nothing moves, nothing is recorded again.
    b.hooks.during = undefined;
    expect(await b.migration.migrateHere(vmId, "operator:ops", "again")).toMatchObject({
      moved: false,
      hostId: b.hostId,
      sourceHostId: b.hostId,
    });
    expect(await migrateRecords(t.db, vmId)).toHaveLength(1);

    // A change sent to A is refused naming B; B changes it.
    const refused = await a.provisioner
      .setIsolated(vmId, true, "test", "operator")
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VmOwnedElsewhereError);
    expect(toConnectError(refused).rawMessage).toContain(`"${b.hostId}"`);
    expect(await b.provisioner.setIsolated(vmId, true, "test", "operator")).toBe(true);
    expect(b.driver.applied.get(vmId)?.ports.length).toBe(1);
  });

  it("a target that cannot program the VM removes what it made and nothing moves", async () => {
    const a = await host(`${name}-c`);
    const b = await host(`${name}-d`);
    const { vmId } = await a.provisioner.create(
      createVmRequest({
        tenant_id: "movers",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:7a::2/64" } }],
      }),
      "operator",
    );
    b.hooks.refuse = true;
    const error = await b.migration.migrateHere(vmId, "operator", "").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostApplyError);
    expect(toConnectError(error).code).toBe(14); // unavailable: nothing kept, retry
    expect(b.hooks.removed).toEqual([vmId]);
    expect(b.driver.applied.has(vmId)).toBe(false);
    expect(await hostOf(t.db, vmId)).toBe(a.hostId);
    expect(await migrateRecords(t.db, vmId)).toEqual([]);
    expect(a.driver.applied.has(vmId)).toBe(true);
    expect(await a.migration.releaseMoved()).toEqual([]);
    // The owner still changes it.
    expect(await a.provisioner.setIsolated(vmId, true, "test", "operator")).toBe(true);

    // Once the target can, the same request moves it.
    b.hooks.refuse = false;
    expect(await b.migration.migrateHere(vmId, "operator", "")).toMatchObject({ moved: true });
    expect(b.driver.applied.get(vmId)?.elements).toEqual(a.driver.applied.get(vmId)?.elements);
  });

  it("a running VM does not leave a stale host; a stopped one does", async () => {
    const stale = await host(`${name}-e`, new Date(Date.now() - 60_000));
    const b = await host(`${name}-f`);
    const running = await stale.provisioner.create(
      createVmRequest({
        tenant_id: "movers",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:7a::3/64" } }],
      }),
      "operator",
    );
    await stale.provisioner.boot(running.vmId, "operator");
    const refused = await b.migration
      .migrateHere(running.vmId, "operator", "")
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VmStateError);
    expect(toConnectError(refused).rawMessage).toMatch(/RUNNING on host .*stale/);
    expect(b.driver.applied.has(running.vmId)).toBe(false);
    expect(await hostOf(t.db, running.vmId)).toBe(stale.hostId);

    await stale.provisioner.shutdown(running.vmId, "operator");
    expect(await b.migration.migrateHere(running.vmId, "operator", "")).toMatchObject({
      moved: true,
      state: "SHUTDOWN",
    });
    expect(await b.migration.migrateHere("vm-not-there", "operator", "")).toBeUndefined();
  });

  it("a change the source makes while the VM is moving is refused, then names the new host", async () => {
    const a = await host(`${name}-g`);
    const b = await host(`${name}-h`);
    const { vmId } = await a.provisioner.create(
      createVmRequest({
        tenant_id: "movers",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:7a::4/64" } }],
      }),
      "operator",
    );
    let during: unknown;
    b.hooks.during = async () => {
      during = await a.provisioner
        .setIsolated(vmId, true, "mid-move", "operator")
        .catch((e: unknown) => e);
    };
    await b.migration.migrateHere(vmId, "operator", "");
    expect(during).toBeInstanceOf(VmBusyError);
    expect(toConnectError(during).rawMessage).toContain("being moved between hosts");
    expect((await b.provisioner.get(vmId))?.record).toMatchObject({
      hostId: b.hostId,
      isolated: false,
    });
    const late = await a.provisioner
      .reconfigure(vmId, (c) => c, "operator", "vm.update")
      .catch((e: unknown) => e);
    expect(toConnectError(late).rawMessage).toContain(`"${b.hostId}"`);
  });
});
