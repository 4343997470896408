// The monitor over a real database: VM changes announced by their control-plane events are
// evaluated again; new violations and resolved ones become events (stored by the status write's
// own transaction) and metric increments; a reload evaluates only the VMs whose tenant layer or
// host evidence changed, without reading any, and everything again after a failed write; deleted
// VMs lose their status.
import { fromJson } from "@bufbuild/protobuf";
import {
  type EncryptionRequirement,
  type HostEvidence,
  normalizeCreateVm,
  type PolicyLayer,
  resolvePolicy,
} from "@metald/core";
import {
  type ComplianceRepository,
  createComplianceRepository,
  createSecurityEventRepository,
  createVmRepository,
  type SecurityEventRepository,
  type StoredSecurityEvent,
  type VmRepository,
} from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { CreateVmRequestSchema } from "@metald/proto";
import type { FastifyBaseLogger } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventPipeline, type EventInput } from "../events/event-pipeline.js";
import { type ComplianceMonitor, createComplianceMonitor } from "./compliance-monitor.js";

const KERNEL: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };
const HIPAA: PolicyLayer = { compliance: { frameworks: ["HIPAA"] } };
const logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return logger;
  },
} as unknown as FastifyBaseLogger;

function configured(profile: string, address: string, tenant = "acme") {
  const { spec, config } = normalizeCreateVm(
    fromJson(CreateVmRequestSchema, {
      config: {
        tenant_id: tenant,
        ipv6_config: {
          addresses: [address],
          security: {
            profile,
            compliance: {
              frameworks: ["COMPLIANCE_FRAMEWORK_PCI_DSS"],
              data_retention_days: 400,
              encryption: { require_tls: true },
            },
          },
        },
      },
    }),
    { defaultProfile: "HIGH", defaultTenant: "default" },
  );
  const effective = spec.interfaces.map((iface) => ({
    interfaceId: iface.id,
    policy: resolvePolicy({ profile: spec.profile, request: iface.requestLayer }).policy,
  }));
  return { spec, config, effective, addresses: [] };
}

const announce = (vmId: string, eventType = "config_change") =>
  [{ vmId, eventType }] as unknown as StoredSecurityEvent[];

describe.each(["pglite", "postgres"] as const)("the compliance monitor on %s", (kind) => {
  let database: TestDatabase;
  let vms: VmRepository;
  let log: SecurityEventRepository;
  let monitor: ComplianceMonitor;
  /** Each tenant's layer (none unless set). */
  const layers = new Map<string, PolicyLayer>();
  /** Events as the monitor handed them to the pipeline, and as announced once stored. */
  const prepared: EventInput[] = [];
  const stored: StoredSecurityEvent[] = [];
  const opened: string[] = [];
  const resolved: string[] = [];
  const encryption: EncryptionRequirement[] = [];
  /** Calls of the repository's reads, and a write that fails when set. */
  const reads = { inputs: 0, load: 0 };
  let failNextWrite = false;
  let audit = 0;

  const insert = async (id: string, profile: string, address: string, tenant = "acme") => {
    await vms.insert({
      id,
      tenantId: tenant,
      hostId: "h",
      state: "CREATED",
      applicationTier: "",
      ...configured(profile, address, tenant),
      createdAt: new Date(),
      audit: { id: `audit-${++audit}`, actor: "alice", action: "vm.create", details: {} },
    });
  };
  const eventsOf = (type: string) =>
    stored.filter((e) => e.eventType === type).map((e) => String(e.details.requirement));
  const clear = () => {
    prepared.length = 0;
    stored.length = 0;
    opened.length = 0;
    resolved.length = 0;
    encryption.length = 0;
  };

  beforeAll(async () => {
    database = await TEST_DATABASES[kind]();
    vms = createVmRepository(database.db);
    log = createSecurityEventRepository(database.db);
    const pipeline = createEventPipeline({
      repository: log,
      eventId: () => `evt-${crypto.randomUUID()}`,
      now: () => new Date(),
      defaultRetentionDays: 30,
      logger,
    });
    pipeline.onStored((events) => stored.push(...events));
    const repository = createComplianceRepository(database.db);
    const compliance: ComplianceRepository = {
      ...repository,
      async inputs(filter) {
        reads.inputs++;
        return repository.inputs(filter);
      },
      async load(ids) {
        reads.load++;
        return repository.load(ids);
      },
      async write(...args) {
        if (failNextWrite) {
          failNextWrite = false;
          throw new Error("the database went away");
        }
        return repository.write(...args);
      },
    };
    monitor = createComplianceMonitor({
      compliance,
      events: {
        prepare(input) {
          prepared.push(input);
          return pipeline.prepare(input);
        },
        announce: (events) => pipeline.announce(events),
      },
      tenantLayer: (tenantId) => layers.get(tenantId),
      now: () => new Date(),
      logger,
      metrics: {
        violationOpened(f, r, missing) {
          opened.push(`${f} ${r}`);
          encryption.push(...missing);
        },
        violationResolved(f, r) {
          resolved.push(`${f} ${r}`);
        },
      },
      batchSize: 50,
    });
    monitor.setHost(KERNEL);
    await monitor.reevaluateAll("start");
  }, 60_000);
  afterAll(async () => {
    await database.drop();
  });

  it("evaluates a VM its change event names: violations are events in the log and metric increments", async () => {
    await insert("vm-low", "SECURITY_PROFILE_LOW", "2001:db8:1::1/64");
    monitor.onStoredEvents(announce("vm-low"));
    await monitor.settled();
    expect(eventsOf("compliance_violation").sort()).toEqual(["1.1.4", "2.1"]);
    expect(opened.sort()).toEqual(["PCI_DSS 1.1.4", "PCI_DSS 2.1"]);
    expect(stored[0]).toMatchObject({ vmId: "vm-low", customerId: "acme" });
    expect(prepared[0]).toMatchObject({ retentionDays: 400 });
    // Stored in the log by the status write itself, in seq order.
    const feed = await log.readFeed(0, 100);
    expect(feed.map((e) => e.id)).toEqual(stored.map((e) => e.id));
  });

  it("ignores events that change no VM (its own included)", async () => {
    const before = stored.length;
    monitor.onStoredEvents([
      ...announce("vm-low", "ra_guard_block"),
      ...announce("vm-low", "compliance_violation"),
    ]);
    await monitor.settled();
    expect(stored.length).toBe(before);
  });

  it("a change that meets the requirements resolves them", async () => {
    const record = await vms.get("vm-low");
    await vms.updateConfig(
      "vm-low",
      record?.configVersion ?? 1,
      configured("SECURITY_PROFILE_HIGH", "2001:db8:1::1/64"),
      new Date(),
      { id: `audit-${++audit}`, actor: "bob", action: "vm.update_security", details: {} },
    );
    monitor.onStoredEvents(announce("vm-low"));
    await monitor.settled();
    expect(eventsOf("compliance_restored").sort()).toEqual(["1.1.4", "2.1"]);
    expect(stored.at(-1)?.details).toMatchObject({
      resolution: "resolved",
      vm_status: "COMPLIANT",
    });
    expect(resolved.sort()).toEqual(["PCI_DSS 1.1.4", "PCI_DSS 2.1"]);
  });

  it("a tenant layer requiring another framework re-evaluates that tenant's VMs; removing it closes as not_required", async () => {
    clear();
    layers.set("acme", HIPAA);
    const stats = await monitor.reevaluateChanged("test");
    // The VM's own list (PCI DSS) replaces the tenant's in its effective policy, but a framework
    // required at any layer applies. It requires TLS already; not encryption at rest nor six years.
    expect(stats).toMatchObject({ vms: 1, opened: 2 });
    expect(eventsOf("compliance_violation").sort()).toEqual([
      "§164.312(a)(2)(iv)",
      "§164.316(b)(2)(i)",
    ]);
    expect(encryption).toEqual(["at_rest"]);
    layers.delete("acme");
    clear();
    await monitor.reevaluateChanged("test");
    expect(stored.map((e) => e.details.resolution)).toEqual(["not_required", "not_required"]);
  });

  it("a reload evaluates only the VMs of the tenants whose layer changed, without reading any", async () => {
    for (let i = 0; i < 120; i++)
      await insert(
        `vm-t${i % 3}-${i}`,
        i % 2 === 0 ? "SECURITY_PROFILE_LOW" : "SECURITY_PROFILE_HIGH",
        `2001:db8:2::${(i + 1).toString(16)}/64`,
        `tenant-${i % 3}`,
      );
    await monitor.reevaluateAll("test");
    clear();
    const before = { ...reads };
    expect(await monitor.reevaluateChanged("nothing changed")).toMatchObject({
      vms: 0,
      skipped: 121,
      opened: 0,
    });
    layers.set("tenant-1", HIPAA);
    const one = await monitor.reevaluateChanged("one tenant");
    expect(one).toMatchObject({ vms: 40, skipped: 81 });
    expect(reads).toEqual(before);
    // Every VM of tenant-1 and only those: its events, stored with the writes, name them.
    expect(new Set(stored.map((e) => e.customerId))).toEqual(new Set(["tenant-1"]));
    expect(stored).toHaveLength(one.opened);
    expect(opened).toHaveLength(one.opened);
    const status = await createComplianceRepository(database.db).vmStatus("vm-t1-1");
    expect(status?.frameworks).toEqual(["PCI_DSS", "HIPAA"]);
  });

  it("a framework added to every tenant evaluates every VM: one event and one metric increment per violation opened, in batches", async () => {
    const repo = createComplianceRepository(database.db);
    const openHipaa = async () =>
      (await repo.openViolationCounts())
        .filter((c) => c.framework === "HIPAA")
        .reduce((n, c) => n + c.count, 0);
    const before = await openHipaa();
    clear();
    for (const t of ["acme", "tenant-0", "tenant-1", "tenant-2"]) layers.set(t, HIPAA);
    const all = await monitor.reevaluateChanged("every tenant");
    // tenant-1 is already under HIPAA: the other 81 VMs change.
    expect(all).toMatchObject({ vms: 81, skipped: 40 });
    expect(all.opened).toBeGreaterThan(81);
    expect(eventsOf("compliance_violation")).toHaveLength(all.opened);
    expect(opened).toHaveLength(all.opened);
    expect(await openHipaa()).toBe(before + all.opened);
    clear();
    layers.clear();
    const dropped = await monitor.reevaluateChanged("dropped");
    expect(dropped).toMatchObject({ vms: 121, resolved: before + all.opened });
    expect(stored.every((e) => e.details.resolution === "not_required")).toBe(true);
    expect(resolved).toHaveLength(dropped.resolved);
    expect(await openHipaa()).toBe(0);
  });

  it("a failed write changes nothing and the next reload reads and evaluates every VM again", async () => {
    clear();
    layers.set("tenant-2", HIPAA);
    failNextWrite = true;
    await expect(monitor.reevaluateChanged("fails")).rejects.toThrow("went away");
    expect(stored).toEqual([]);
    const before = reads.inputs;
    const again = await monitor.reevaluateChanged("after the failure");
    expect(reads.inputs).toBeGreaterThan(before);
    expect(again).toMatchObject({ vms: 121 });
    expect(new Set(stored.map((e) => e.customerId))).toEqual(new Set(["tenant-2"]));
    layers.clear();
    await monitor.reevaluateChanged("test");
  });

  it("an unchanged VM is not written again, and a new host probe evaluates every VM and can make controls pending", async () => {
    clear();
    expect(await monitor.reevaluateAll("test")).toMatchObject({ opened: 0, resolved: 0 });
    monitor.setHost({ ...KERNEL, packetFiltering: false, unverifiedReason: "dry-run" });
    expect(await monitor.reevaluateChanged("new probe")).toMatchObject({ vms: 121, skipped: 0 });
    const status = await createComplianceRepository(database.db).vmStatus("vm-low");
    expect(status?.status).toBe("PENDING_AUDIT");
    expect(stored).toEqual([]);
    monitor.setHost(KERNEL);
    await monitor.reevaluateChanged("test");
  });

  it("a deleted VM loses its status and its violations close as vm_deleted", async () => {
    await insert("vm-gone", "SECURITY_PROFILE_LOW", "2001:db8:1::2/64");
    await monitor.evaluate("vm-gone");
    clear();
    await vms.terminate("vm-gone", new Date(), {
      id: `audit-${++audit}`,
      actor: "alice",
      action: "vm.delete",
      details: {},
    });
    monitor.onStoredEvents(announce("vm-gone"));
    await monitor.settled();
    expect(stored.map((e) => [e.eventType, e.details.resolution])).toEqual([
      ["compliance_restored", "vm_deleted"],
      ["compliance_restored", "vm_deleted"],
    ]);
    const repo = createComplianceRepository(database.db);
    expect(await repo.vmStatus("vm-gone")).toBeUndefined();
    expect((await repo.tenantStatus("acme"))?.vmsChecked).toBe(1);
    // Gone from memory too: a reload does not evaluate it.
    expect(await monitor.reevaluateChanged("test")).toMatchObject({ vms: 0, skipped: 121 });
  });
});
