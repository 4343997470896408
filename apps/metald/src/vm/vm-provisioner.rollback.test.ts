// What the provisioner undoes when the host refuses a change: a failed create leaves no VM and
// frees its addresses, a failed update, quarantine or release restores the stored state and the
// host plan, and a failed delete keeps the VM so that the operator can retry.
import {
  createDryRunDriver,
  createNoRuntime,
  HostApplyError,
  type HostDriver,
  type HostPlan,
  type HostStep,
} from "@metald/core";
import { createPoolRepository, createVmRepository, type SqlClient } from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import type { FastifyBaseLogger } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAddressAllocator } from "../ipam/address-allocator.js";
import { createVmRequest } from "../testing/test-requests.js";
import { interfacePatch } from "./config-edits.js";
import { createVmProvisioner, planFor } from "./vm-provisioner.js";

type HostCall = { op: "applyVm" | "removeVm"; plan: HostPlan; failed?: HostStep };

/**
 * The dry-run driver's host, refusing chosen calls with the error a real driver throws. A
 * refused call changes nothing, as the HostDriver contract has it (applyVm is atomic).
 */
function createRefusingDriver() {
  const host = createDryRunDriver();
  const calls: HostCall[] = [];
  const refusals: Record<HostCall["op"], HostStep[]> = { applyVm: [], removeVm: [] };
  const subjectOf = (plan: HostPlan, step: HostStep) =>
    step === "namespace"
      ? plan.guestNamespace
      : step === "bridge"
        ? plan.ports[0]?.bridge
        : step === "port" || step === "sysctls" || step === "addresses"
          ? plan.ports[0]?.name
          : undefined;
  const guard = (op: HostCall["op"], plan: HostPlan) => {
    const step = refusals[op].shift();
    calls.push({ op, plan, failed: step });
    if (step) {
      throw new HostApplyError(
        plan.vmId,
        step,
        subjectOf(plan, step),
        new Error(`${step}: Operation not permitted`),
      );
    }
  };
  const driver: HostDriver = {
    ...host,
    async applyVm(plan) {
      guard("applyVm", plan);
      await host.applyVm(plan);
    },
    async removeVm(plan) {
      guard("removeVm", plan);
      await host.removeVm(plan);
    },
  };
  return {
    driver,
    /** The plans the host holds now, by VM id. */
    applied: host.applied,
    calls,
    /** The next calls of `op` fail, one per step given, in order. */
    refuse(op: HostCall["op"], ...steps: HostStep[]) {
      refusals[op].push(...steps);
    },
    /** The plan of the last applyVm that took effect. */
    lastApplied(): HostPlan | undefined {
      return calls.filter((c) => c.op === "applyVm" && !c.failed).at(-1)?.plan;
    },
  };
}

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string | undefined;
}

/** A logger that keeps what it is told. */
function recordingLogger(lines: LogLine[]): FastifyBaseLogger {
  const at =
    (level: string) =>
    (first: unknown, message?: string): void => {
      if (typeof first === "string") lines.push({ level, fields: {}, message: first });
      else lines.push({ level, fields: first as Record<string, unknown>, message });
    };
  const logger: FastifyBaseLogger = {
    level: "trace",
    fatal: at("fatal"),
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
    silent: () => undefined,
    child: () => logger,
  };
  return logger;
}

const denyWeb = interfacePatch("eth0", {
  security_policy: { ingress_rules: ["deny tcp from any to any port 80"] },
});

describe.each(Object.entries(TEST_DATABASES))("rollback of host failures on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
    await createPoolRepository(t.db).create({
      id: "rollback-pool",
      prefix: "2001:db8:77::/64",
      description: "",
      tenantId: "pooled",
      rateLimit: 0,
    });
  });
  afterAll(async () => {
    await t.drop();
  });

  let serial = 0;
  function setup() {
    const host = createRefusingDriver();
    const log: LogLine[] = [];
    const repository = createVmRepository(t.db);
    const prefix = `r${serial++}`;
    let n = 0;
    let tick = Date.parse("2030-01-01T00:00:00Z");
    // Each reading a second later, so that versions and audit records keep their order.
    const now = () => {
      tick += 1000;
      return new Date(tick);
    };
    const provisioner = createVmProvisioner({
      repository,
      driver: host.driver,
      runtime: createNoRuntime(),
      clock: { now },
      ids: { vmId: () => `vm-${prefix}-${n++}`, auditId: () => `audit-${prefix}-${n++}` },
      hostId: "host-1",
      defaultProfile: "MEDIUM",
      defaultTenant: "default",
      logger: recordingLogger(log),
      addresses: createAddressAllocator(createPoolRepository(t.db)),
    });
    return { host, log, repository, provisioner };
  }

  const auditActions = async (db: SqlClient, vmId: string) =>
    (
      await db.query<{ action: string }>(
        "SELECT action FROM audit_records WHERE vm_id = $1 ORDER BY seq",
        [vmId],
      )
    ).rows.map((r) => r.action);

  const allocationsOf = async (vmId: string) =>
    (await createPoolRepository(t.db).allocations()).filter((a) => a.vmId === vmId);

  it("a create the host refuses leaves no VM, frees its address, removes what the host had and reports the step", async () => {
    const { host, log, provisioner } = setup();
    const config = {
      tenant_id: "acme",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:1::10/64" } }],
    };
    host.refuse("applyVm", "bridge");
    const failure = await provisioner
      .create(createVmRequest(config, "vm-refused"), "operator")
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(HostApplyError);
    expect(failure).toMatchObject({ vmId: "vm-refused", step: "bridge" });
    expect((failure as Error).message).toContain("creating the tenant bridge");
    expect(await provisioner.get("vm-refused")).toBeUndefined();
    // The audit trail keeps the attempt and its outcome.
    expect(await auditActions(t.db, "vm-refused")).toEqual(["vm.create", "vm.create_failed"]);
    expect(host.calls.map((c) => c.op)).toEqual(["applyVm", "removeVm"]);
    expect(host.calls[1]?.plan.vmId).toBe("vm-refused");
    expect(host.applied.has("vm-refused")).toBe(false);
    const logged = log.find((l) => l.level === "error" && l.fields.vmId === "vm-refused");
    expect(logged?.fields.err).toBe(failure);
    expect(logged?.message).toContain("discarding the VM");

    // The address is free again: another VM may have it, and the host gets that VM.
    const again = await provisioner.create(createVmRequest(config), "operator");
    expect(again.state).toBe("CREATED");
    expect(host.applied.get(again.vmId)?.ports[0]?.addresses).toEqual(["2001:db8:1::10/64"]);
    expect((await allocationsOf(again.vmId)).map((a) => a.address)).toEqual(["2001:db8:1::10"]);
  });

  it("a create whose cleanup removal fails too is still discarded, reports the apply failure and logs both", async () => {
    const { host, log, provisioner } = setup();
    host.refuse("applyVm", "nftables");
    host.refuse("removeVm", "remove");
    const failure = await provisioner
      .create(
        createVmRequest(
          { tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] },
          "vm-twice-refused",
        ),
        "operator",
      )
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: "HostApplyError", step: "nftables" });
    expect(await provisioner.get("vm-twice-refused")).toBeUndefined();
    const errors = log.filter((l) => l.level === "error").map((l) => l.fields.err);
    expect(errors).toEqual([failure, expect.objectContaining({ step: "remove" })]);
  });

  it("an update the host refuses stores the previous configuration again, re-applies its plan and keeps pool allocations", async () => {
    const { host, log, provisioner, repository } = setup();
    const { vmId } = await provisioner.create(
      createVmRequest({ tenant_id: "pooled", network: [{ id: "eth0", ipv6: {} }] }),
      "operator",
    );
    const before = await provisioner.get(vmId);
    if (!before) throw new Error("created VM not found");
    const [drawn] = await allocationsOf(vmId);
    expect(drawn?.poolId).toBe("rollback-pool");
    const previousPlan = planFor(before);
    expect(host.applied.get(vmId)).toEqual(previousPlan);

    host.refuse("applyVm", "nftables");
    const failure = await provisioner
      .reconfigure(vmId, denyWeb, "operator", "vm.update_security_policy")
      .catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(HostApplyError);
    expect(failure).toMatchObject({ vmId, step: "nftables" });
    const after = await provisioner.get(vmId);
    expect(after?.spec).toEqual(before.spec);
    expect(after?.effective).toEqual(before.effective);
    expect(after?.config).toEqual(before.config);
    expect(after?.record.configVersion).toBe(3);
    expect(await auditActions(t.db, vmId)).toEqual([
      "vm.create",
      "vm.update_security_policy",
      "vm.update_security_policy_reverted",
    ]);
    // The refused plan differs from the previous one; the previous one was applied again.
    const [refused, restored] = host.calls.slice(-2);
    expect(refused?.failed).toBe("nftables");
    expect(refused?.plan).not.toEqual(previousPlan);
    expect(restored).toEqual({ op: "applyVm", plan: previousPlan, failed: undefined });
    expect(host.applied.get(vmId)).toEqual(previousPlan);
    // The restored version still says the address came from the pool.
    expect(await allocationsOf(vmId)).toEqual([
      expect.objectContaining({ address: drawn?.address, poolId: "rollback-pool" }),
    ]);
    expect(await createPoolRepository(t.db).cleanup()).not.toContain(drawn?.address);
    expect((await repository.get(vmId))?.state).toBe("CREATED");
    expect(log.find((l) => l.level === "error" && l.fields.vmId === vmId)?.fields.err).toBe(
      failure,
    );

    // Once the host accepts it, the same change goes through.
    const changed = await provisioner.reconfigure(
      vmId,
      denyWeb,
      "operator",
      "vm.update_security_policy",
    );
    expect(changed?.record.configVersion).toBe(4);
    expect(host.applied.get(vmId)).toEqual(changed && planFor(changed));
    expect(changed?.spec.interfaces[0]?.addresses).toEqual(before.spec.interfaces[0]?.addresses);
  });

  it("an update whose restore the host refuses too keeps the previous configuration stored, reports the update's failure and logs the restore's", async () => {
    const { host, log, provisioner } = setup();
    const { vmId } = await provisioner.create(
      createVmRequest({ tenant_id: "pooled", network: [{ id: "eth0", ipv6: {} }] }),
      "operator",
    );
    const before = await provisioner.get(vmId);
    host.refuse("applyVm", "nftables", "port");
    const failure = await provisioner
      .reconfigure(vmId, denyWeb, "operator", "vm.update_security_policy")
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: "HostApplyError", step: "nftables" });
    const after = await provisioner.get(vmId);
    expect(after?.spec).toEqual(before?.spec);
    expect(after?.effective).toEqual(before?.effective);
    expect((await allocationsOf(vmId)).map((a) => a.poolId)).toEqual(["rollback-pool"]);
    expect(host.calls.slice(-2).map((c) => c.failed)).toEqual(["nftables", "port"]);
    const errors = log.filter((l) => l.level === "error" && l.fields.vmId === vmId);
    expect(errors.map((l) => l.fields.err)).toEqual([
      failure,
      expect.objectContaining({ step: "port" }),
    ]);
    expect(errors[1]?.message).toContain("reconcile");
  });

  it("a quarantine the host refuses leaves the VM unisolated and the host with its previous plan", async () => {
    const { host, log, provisioner } = setup();
    const { vmId } = await provisioner.create(
      createVmRequest({ tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] }),
      "operator",
    );
    const previousPlan = host.applied.get(vmId);
    host.refuse("applyVm", "nftables");
    const failure = await provisioner
      .setIsolated(vmId, true, "suspected compromise", "operator")
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: "HostApplyError", vmId, step: "nftables" });
    const after = await provisioner.get(vmId);
    expect(after?.record.isolated).toBe(false);
    expect(after && planFor(after)).toEqual(previousPlan);
    expect(host.calls.at(-1)).toMatchObject({ op: "applyVm", failed: "nftables" });
    expect(host.lastApplied()).toEqual(previousPlan);
    expect(host.applied.get(vmId)).toEqual(previousPlan);
    expect(await auditActions(t.db, vmId)).toEqual([
      "vm.create",
      "vm.isolate",
      "vm.isolate_failed",
    ]);
    expect(log.find((l) => l.level === "error" && l.fields.vmId === vmId)?.fields.err).toBe(
      failure,
    );
  });

  it("a release the host refuses keeps the VM isolated and the host with its quarantine plan", async () => {
    const { host, provisioner } = setup();
    const { vmId } = await provisioner.create(
      createVmRequest({ tenant_id: "acme", network: [{ id: "eth0", ipv6: {} }] }),
      "operator",
    );
    const open = host.applied.get(vmId);
    expect(await provisioner.setIsolated(vmId, true, "investigation", "operator")).toBe(true);
    const quarantined = host.applied.get(vmId);
    expect(quarantined).not.toEqual(open);

    host.refuse("applyVm", "nftables");
    const failure = await provisioner
      .setIsolated(vmId, false, "cleared", "operator")
      .catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: "HostApplyError", step: "nftables" });
    const after = await provisioner.get(vmId);
    expect(after?.record.isolated).toBe(true);
    expect(after && planFor(after)).toEqual(quarantined);
    expect(host.lastApplied()).toEqual(quarantined);
    expect(host.applied.get(vmId)).toEqual(quarantined);
    expect((await auditActions(t.db, vmId)).slice(-2)).toEqual([
      "vm.unisolate",
      "vm.unisolate_failed",
    ]);
  });

  it("a delete the host refuses keeps the VM and its addresses, and a retry deletes it", async () => {
    const { host, provisioner } = setup();
    const { vmId } = await provisioner.create(
      createVmRequest({ tenant_id: "pooled", network: [{ id: "eth0", ipv6: {} }] }),
      "operator",
    );
    const plan = host.applied.get(vmId);
    host.refuse("removeVm", "remove");
    const failure = await provisioner.delete(vmId, "operator").catch((e: unknown) => e);

    expect(failure).toMatchObject({ name: "HostApplyError", vmId, step: "remove" });
    expect((await provisioner.get(vmId))?.record.state).toBe("CREATED");
    expect(host.applied.get(vmId)).toEqual(plan);
    expect(await allocationsOf(vmId)).toHaveLength(1);

    expect(await provisioner.delete(vmId, "operator")).toBe("TERMINATED");
    expect((await provisioner.get(vmId))?.record.state).toBe("TERMINATED");
    expect(host.applied.has(vmId)).toBe(false);
    expect(await allocationsOf(vmId)).toEqual([]);
    expect(host.calls.filter((c) => c.op === "removeVm").map((c) => c.failed)).toEqual([
      "remove",
      undefined,
    ]);
  });
});
