// Each VM change stores its control-plane event in its own transaction, named by its audit
// record; a change the host refuses is followed by its compensating change and event; live
// listeners hear of both; and a reconcile waits for a change between its persist and its apply.
import {
  createDryRunDriver,
  createNoRuntime,
  HostApplyError,
  type HostDriver,
  type HostPlan,
} from "@metald/core";
import {
  createSecurityEventRepository,
  createVmRepository,
  type StoredSecurityEvent,
} from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventPipeline } from "../events/event-pipeline.js";
import { createVmRequest, quietLogger } from "../testing/test-requests.js";
import { interfacePatch } from "./config-edits.js";
import { createVmProvisioner } from "./vm-provisioner.js";

const denyWeb = interfacePatch("eth0", {
  security_policy: { ingress_rules: ["deny tcp from any to any port 80"] },
});

describe.each(Object.entries(TEST_DATABASES))("control-plane events on %s", (_name, open) => {
  let t: TestDatabase;
  // Opening PGlite takes seconds on a busy machine.
  beforeAll(async () => {
    t = await open();
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  let serial = 0;
  function setup(driver: HostDriver = createDryRunDriver()) {
    const prefix = `c${serial++}`;
    let n = 0;
    const pipeline = createEventPipeline({
      repository: createSecurityEventRepository(t.db),
      eventId: () => `evt-${prefix}-${n++}`,
      now: () => new Date(),
      defaultRetentionDays: 90,
      logger: quietLogger,
    });
    const heard: StoredSecurityEvent[] = [];
    pipeline.onStored((stored) => heard.push(...stored));
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
      events: pipeline,
    });
    return { provisioner, heard, pipeline };
  }

  /** Each audit record of the VM with the control-plane event that names it. */
  async function trail(vmId: string) {
    const audit = await t.db.query<{ id: string; action: string }>(
      "SELECT id, action FROM audit_records WHERE vm_id = $1 ORDER BY seq",
      [vmId],
    );
    const events = await createSecurityEventRepository(t.db).list({
      vmId,
      categories: ["audit"],
      limit: 100,
    });
    return audit.rows.map((a) => {
      const named = events.filter((e) => e.details.audit_id === a.id);
      const name = (e: StoredSecurityEvent) =>
        e.details.action === undefined ? e.eventType : `${e.eventType} ${e.details.action}`;
      return { action: a.action, events: named.map(name) };
    });
  }

  it("stores one event per change, naming its audit record, and tells live listeners", async () => {
    const { provisioner, heard } = setup();
    const vmId = "vm-events-1";
    const config = { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] };
    await provisioner.create(createVmRequest(config, vmId), "operator");
    await provisioner.reconfigure(vmId, denyWeb, "operator", "vm.update_security_policy");
    await provisioner.setIsolated(vmId, true, "investigation", "operator");
    await provisioner.setIsolated(vmId, false, "cleared", "operator");
    await provisioner.delete(vmId, "operator");

    expect(await trail(vmId)).toEqual([
      { action: "vm.create", events: ["config_change vm.create"] },
      { action: "vm.update_security_policy", events: ["config_change vm.update_security_policy"] },
      { action: "vm.isolate", events: ["vm_quarantined"] },
      { action: "vm.unisolate", events: ["vm_released"] },
      { action: "vm.delete", events: ["config_change vm.delete"] },
    ]);
    expect(heard.map((e) => e.eventType)).toEqual([
      "config_change",
      "config_change",
      "vm_quarantined",
      "vm_released",
      "config_change",
    ]);
    expect(heard.every((e) => e.seq > 0 && e.vmId === vmId)).toBe(true);
  });

  it("follows a change the host refuses with its compensating change and event", async () => {
    const host = createDryRunDriver();
    const refusals: string[] = [];
    const driver: HostDriver = {
      ...host,
      async applyVm(plan) {
        if (refusals.shift())
          throw new HostApplyError(plan.vmId, "nftables", undefined, new Error("refused"));
        await host.applyVm(plan);
      },
    };
    const { provisioner, heard } = setup(driver);
    const config = { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] };

    refusals.push("create");
    await expect(
      provisioner.create(createVmRequest(config, "vm-refused"), "operator"),
    ).rejects.toThrow(HostApplyError);
    expect(await trail("vm-refused")).toEqual([
      { action: "vm.create", events: ["config_change vm.create"] },
      { action: "vm.create_failed", events: ["config_change vm.create_failed"] },
    ]);

    const vmId = "vm-events-2";
    await provisioner.create(createVmRequest(config, vmId), "operator");
    refusals.push("update", "");
    await expect(
      provisioner.reconfigure(vmId, denyWeb, "operator", "vm.update_security_policy"),
    ).rejects.toThrow(HostApplyError);
    refusals.push("isolate");
    await expect(provisioner.setIsolated(vmId, true, "suspect", "operator")).rejects.toThrow(
      HostApplyError,
    );
    expect(await trail(vmId)).toEqual([
      { action: "vm.create", events: ["config_change vm.create"] },
      { action: "vm.update_security_policy", events: ["config_change vm.update_security_policy"] },
      {
        action: "vm.update_security_policy_reverted",
        events: ["config_change vm.update_security_policy_reverted"],
      },
      { action: "vm.isolate", events: ["vm_quarantined"] },
      { action: "vm.isolate_failed", events: ["vm_released vm.isolate_failed"] },
    ]);
    expect(
      heard.filter((e) => e.vmId === vmId).map((e) => e.details.action ?? e.eventType),
    ).toEqual([
      "vm.create",
      "vm.update_security_policy",
      "vm.update_security_policy_reverted",
      "vm_quarantined",
      "vm.isolate_failed",
    ]);
  });

  it("stores no change whose event cannot be stored", async () => {
    const { provisioner, pipeline } = setup();
    const taken = pipeline.prepare({
      vmId: null,
      customerId: null,
      eventType: "config_change",
      severity: "info",
      description: "holds an id",
    });
    await createSecurityEventRepository(t.db).insert([taken]);
    // Every event this provisioner prepares now collides with the stored one's id.
    pipeline.prepare = (input) =>
      ({ ...taken, ...input, id: taken.id, category: "audit" }) as never;
    const config = { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] };
    await expect(
      provisioner.create(createVmRequest(config, "vm-no-event"), "operator"),
    ).rejects.toThrow();
    expect(await provisioner.get("vm-no-event")).toBeUndefined();
    expect(await trail("vm-no-event")).toEqual([]);
  });

  it("starts a reconcile only once a change in progress has been applied, and includes it", async () => {
    const host = createDryRunDriver();
    let release: () => void = () => undefined;
    const applying = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (entered = resolve));
    const reconciled: string[][] = [];
    const driver: HostDriver = {
      ...host,
      async applyVm(plan: HostPlan) {
        entered();
        await applying;
        await host.applyVm(plan);
      },
      async reconcile(plans, blocked) {
        reconciled.push(plans.map((p) => p.vmId));
        return host.reconcile(plans, blocked);
      },
    };
    const { provisioner } = setup(driver);
    const config = { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] };
    const creating = provisioner.create(createVmRequest(config, "vm-during-reconcile"), "operator");
    await started;
    const reconciling = provisioner.reconcile([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(reconciled).toEqual([]);
    release();
    await creating;
    await reconciling;
    expect(reconciled).toHaveLength(1);
    expect(reconciled[0]).toContain("vm-during-reconcile");
  });
});
