// Blocked-source changes and the reconcile take the one host change lock: a reconcile never
// sees a blocked source between its row and its element (or its rollback), and a change that
// arrives while a reconcile runs is applied after it instead of being undone by it.
import { createDryRunDriver, createNoRuntime, type HostDriver } from "@metald/core";
import { createBlockedSourceRepository, createVmRepository } from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlockedSourceSync } from "../fleet/blocked-source-sync.js";
import { quietLogger } from "../testing/test-requests.js";
import { createHostChangeLock } from "../vm/host-change-lock.js";
import { createVmProvisioner } from "../vm/vm-provisioner.js";
import { registerBlockedSourceRoutes } from "./blocked-source-routes.js";

/** A step the test lets go of: `entered` resolves when it starts, `release()` lets it finish. */
function gate() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  let enter: () => void = () => undefined;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  return { release, released, entered, enter };
}

/**
 * Whether `probe` holds within `ms` (asked every 10 ms). The window is how long a reconcile or
 * a change that did not wait would need to show itself, even from PostgreSQL on a busy machine.
 */
async function happensWithin(ms: number, probe: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return probe();
}

const WINDOW_MS = 500;

describe.each(Object.entries(TEST_DATABASES))(
  "blocked sources under the host lock on %s",
  (_name, open) => {
    let t: TestDatabase;
    // Opening PGlite takes seconds on a busy machine.
    beforeAll(async () => {
      t = await open();
    }, 60_000);
    afterAll(async () => {
      await t.drop();
    });

    let serial = 0;
    /** A server's wiring of the three: routes, provisioner and reconcile share one lock. */
    async function setup(driver: HostDriver) {
      const prefix = `b${serial++}`;
      let n = 0;
      const hostLock = createHostChangeLock();
      const repository = createBlockedSourceRepository(t.db);
      // Each test starts from no blocked source (the database is the describe's).
      for (const b of await repository.list()) await repository.remove(b.source);
      const provisioner = createVmProvisioner({
        repository: createVmRepository(t.db),
        driver,
        runtime: createNoRuntime(),
        clock: { now: () => new Date() },
        ids: { vmId: () => `vm-${prefix}-${n++}`, auditId: () => `audit-${prefix}-${n++}` },
        hostId: "host-1",
        defaultProfile: "MEDIUM",
        defaultTenant: "default",
        logger: quietLogger,
        hostLock,
      });
      const app = Fastify();
      const sync = createBlockedSourceSync({ repository, driver, hostLock });
      registerBlockedSourceRoutes(app, { repository, sync, hostLock });
      await app.ready();
      const reconcile = () => provisioner.reconcile(sync.readForReconcile);
      return { app, repository, reconcile, source: `2001:db8:bad:${serial}::1` };
    }

    it("starts a reconcile only once a blocked source being added is in the kernel", async () => {
      const host = createDryRunDriver();
      const adding = gate();
      const reconciledWith: string[][] = [];
      const driver: HostDriver = {
        ...host,
        async updateBlockedSources(add, remove) {
          adding.enter();
          await adding.released;
          await host.updateBlockedSources(add, remove);
        },
        async reconcile(plans, blocked) {
          reconciledWith.push([...blocked]);
          return host.reconcile(plans, blocked);
        },
      };
      const { app, reconcile, source } = await setup(driver);
      const posting = app.inject({
        method: "POST",
        url: "/debug/security/blocked-sources",
        payload: { source, reason: "scanner" },
      });
      // The row is stored; its element is not yet in the kernel.
      await adding.entered;
      const reconciling = reconcile();
      expect(await happensWithin(WINDOW_MS, () => reconciledWith.length > 0)).toBe(false);
      adding.release();
      expect((await posting).statusCode).toBe(201);
      await reconciling;
      expect(reconciledWith).toEqual([[source]]);
      expect([...host.blockedSources]).toEqual([source]);
    });

    it("applies a blocked source added during a reconcile after it, so the reconcile cannot drop it", async () => {
      const host = createDryRunDriver();
      const reconciling = gate();
      const updates: string[][] = [];
      const driver: HostDriver = {
        ...host,
        async updateBlockedSources(add, remove) {
          updates.push([...add]);
          await host.updateBlockedSources(add, remove);
        },
        async reconcile(plans, blocked) {
          reconciling.enter();
          await reconciling.released;
          return host.reconcile(plans, blocked);
        },
      };
      const { app, repository, reconcile, source } = await setup(driver);
      const reconciled = reconcile();
      await reconciling.entered;
      const posting = app.inject({
        method: "POST",
        url: "/debug/security/blocked-sources",
        payload: { source, reason: "scanner" },
      });
      // Neither the row nor the element while the reconcile makes the kernel match the rows.
      expect(await happensWithin(WINDOW_MS, () => updates.length > 0)).toBe(false);
      expect((await repository.list()).map((b) => b.source)).not.toContain(source);
      reconciling.release();
      await reconciled;
      expect((await posting).statusCode).toBe(201);
      expect([...host.blockedSources]).toEqual([source]);
    });

    it("lets a reconcile see neither the row nor the element of a blocked source the host refused", async () => {
      const host = createDryRunDriver();
      const adding = gate();
      const reconciledWith: string[][] = [];
      const driver: HostDriver = {
        ...host,
        async updateBlockedSources() {
          adding.enter();
          await adding.released;
          throw new Error("nft: Could not process rule");
        },
        async reconcile(plans, blocked) {
          reconciledWith.push([...blocked]);
          return host.reconcile(plans, blocked);
        },
      };
      const { app, repository, reconcile, source } = await setup(driver);
      const posting = app.inject({
        method: "POST",
        url: "/debug/security/blocked-sources",
        payload: { source },
      });
      await adding.entered;
      const reconciling = reconcile();
      expect(await happensWithin(WINDOW_MS, () => reconciledWith.length > 0)).toBe(false);
      adding.release();
      expect((await posting).statusCode).toBe(500);
      await reconciling;
      // The rollback removed the row before the reconcile read the rows.
      expect(reconciledWith).toEqual([[]]);
      expect((await repository.list()).map((b) => b.source)).not.toContain(source);
      expect([...host.blockedSources]).toEqual([]);
    });

    it("starts a reconcile only once a removed blocked source is out of the kernel", async () => {
      const host = createDryRunDriver();
      let removing: ReturnType<typeof gate> | undefined;
      const reconciledWith: string[][] = [];
      const driver: HostDriver = {
        ...host,
        async updateBlockedSources(add, remove) {
          if (removing && remove.length > 0) {
            removing.enter();
            await removing.released;
          }
          await host.updateBlockedSources(add, remove);
        },
        async reconcile(plans, blocked) {
          reconciledWith.push([...blocked]);
          return host.reconcile(plans, blocked);
        },
      };
      const { app, reconcile, source } = await setup(driver);
      const added = await app.inject({
        method: "POST",
        url: "/debug/security/blocked-sources",
        payload: { source },
      });
      expect(added.statusCode).toBe(201);
      removing = gate();
      const deleting = app.inject({
        method: "DELETE",
        url: `/debug/security/blocked-sources/${encodeURIComponent(source)}`,
      });
      await removing.entered;
      const reconciling = reconcile();
      expect(await happensWithin(WINDOW_MS, () => reconciledWith.length > 0)).toBe(false);
      removing.release();
      expect((await deleting).statusCode).toBe(200);
      await reconciling;
      expect(reconciledWith).toEqual([[]]);
      expect([...host.blockedSources]).toEqual([]);
    });
  },
);
