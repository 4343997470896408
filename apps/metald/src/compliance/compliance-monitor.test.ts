// The monitor over a real database: VM changes announced by their control-plane events are
// evaluated again; new violations and resolved ones become events and metric increments; a
// tenant layer or a host probe re-evaluates every VM; deleted VMs lose their status.
import { fromJson } from "@bufbuild/protobuf";
import {
  type EncryptionRequirement,
  type HostEvidence,
  normalizeCreateVm,
  type PolicyLayer,
  resolvePolicy,
} from "@metald/core";
import {
  createComplianceRepository,
  createVmRepository,
  type StoredSecurityEvent,
  type VmRepository,
} from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { CreateVmRequestSchema } from "@metald/proto";
import type { FastifyBaseLogger } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventInput } from "../events/event-pipeline.js";
import { type ComplianceMonitor, createComplianceMonitor } from "./compliance-monitor.js";

const KERNEL: HostEvidence = { packetFiltering: true, unverifiedReason: "", vlanDevices: false };
const logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return logger;
  },
} as unknown as FastifyBaseLogger;

function configured(profile: string, address: string) {
  const { spec, config } = normalizeCreateVm(
    fromJson(CreateVmRequestSchema, {
      config: {
        tenant_id: "acme",
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

describe("the compliance monitor", () => {
  let database: TestDatabase;
  let vms: VmRepository;
  let monitor: ComplianceMonitor;
  let tenantLayer: PolicyLayer | undefined;
  const stored: EventInput[] = [];
  const opened: string[] = [];
  const resolved: string[] = [];
  const encryption: EncryptionRequirement[] = [];
  let audit = 0;

  const insert = async (id: string, profile: string, address: string) => {
    await vms.insert({
      id,
      tenantId: "acme",
      hostId: "h",
      state: "CREATED",
      applicationTier: "",
      ...configured(profile, address),
      createdAt: new Date(),
      audit: { id: `audit-${++audit}`, actor: "alice", action: "vm.create", details: {} },
    });
  };
  const eventsOf = (type: string) =>
    stored.filter((e) => e.eventType === type).map((e) => String(e.details?.requirement));

  beforeAll(async () => {
    database = await TEST_DATABASES.pglite();
    vms = createVmRepository(database.db);
    monitor = createComplianceMonitor({
      vms,
      compliance: createComplianceRepository(database.db),
      events: {
        async store(events) {
          stored.push(...events);
        },
      },
      tenantLayer: () => tenantLayer,
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
    });
    monitor.setHost(KERNEL);
  }, 60_000);
  afterAll(async () => {
    await database.drop();
  });

  it("evaluates a VM its change event names: violations are events and metric increments", async () => {
    await insert("vm-low", "SECURITY_PROFILE_LOW", "2001:db8:1::1/64");
    monitor.onStoredEvents(announce("vm-low"));
    await monitor.settled();
    expect(eventsOf("compliance_violation").sort()).toEqual(["1.1.4", "2.1"]);
    expect(opened.sort()).toEqual(["PCI_DSS 1.1.4", "PCI_DSS 2.1"]);
    expect(stored[0]).toMatchObject({ vmId: "vm-low", customerId: "acme", retentionDays: 400 });
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

  it("a tenant layer requiring another framework re-evaluates every VM; removing it closes as not_required", async () => {
    stored.length = 0;
    tenantLayer = { compliance: { frameworks: ["HIPAA"] } };
    const stats = await monitor.reevaluateAll("test");
    // The VM's own list (PCI DSS) replaces the tenant's in its effective policy, but a framework
    // required at any layer applies. It requires TLS already; not encryption at rest nor six years.
    expect(stats).toMatchObject({ vms: 1, opened: 2 });
    expect(eventsOf("compliance_violation").sort()).toEqual([
      "§164.312(a)(2)(iv)",
      "§164.316(b)(2)(i)",
    ]);
    expect(encryption).toEqual(["at_rest"]);
    tenantLayer = undefined;
    stored.length = 0;
    await monitor.reevaluateAll("test");
    expect(stored.map((e) => e.details?.resolution)).toEqual(["not_required", "not_required"]);
  });

  it("an unchanged VM is not written again, and a new host probe can make controls pending", async () => {
    stored.length = 0;
    expect(await monitor.reevaluateAll("test")).toMatchObject({ opened: 0, resolved: 0 });
    monitor.setHost({ ...KERNEL, packetFiltering: false, unverifiedReason: "dry-run" });
    await monitor.reevaluateAll("test");
    const status = await createComplianceRepository(database.db).vmStatus("vm-low");
    expect(status?.status).toBe("PENDING_AUDIT");
    expect(stored).toEqual([]);
    monitor.setHost(KERNEL);
    await monitor.reevaluateAll("test");
  });

  it("a deleted VM loses its status and its violations close as vm_deleted", async () => {
    await insert("vm-gone", "SECURITY_PROFILE_LOW", "2001:db8:1::2/64");
    await monitor.evaluate("vm-gone");
    stored.length = 0;
    await vms.terminate("vm-gone", new Date(), {
      id: `audit-${++audit}`,
      actor: "alice",
      action: "vm.delete",
      details: {},
    });
    monitor.onStoredEvents(announce("vm-gone"));
    await monitor.settled();
    expect(stored.map((e) => [e.eventType, e.details?.resolution])).toEqual([
      ["compliance_restored", "vm_deleted"],
      ["compliance_restored", "vm_deleted"],
    ]);
    const repo = createComplianceRepository(database.db);
    expect(await repo.vmStatus("vm-gone")).toBeUndefined();
    expect((await repo.tenantStatus("acme"))?.vmsChecked).toBe(1);
  });
});
