// Two hosts of a fleet on one database: each creates VMs on itself, reads every host's, changes
// only its own (a change to another host's VM is refused naming the owner), and its reconcile
// and live-VM index take only its own VMs.
import { createDryRunDriver, createNoRuntime } from "@metald/core";
import { createPoolRepository, createVmRepository } from "@metald/db";
import { TEST_DATABASES, type TestDatabase } from "@metald/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toConnectError } from "../connect/to-connect-error.js";
import { createAddressAllocator } from "../ipam/address-allocator.js";
import { createVmRequest, quietLogger } from "../testing/test-requests.js";
import { loadLiveVmIndex } from "../vm/live-vm-index.js";
import { createVmProvisioner, VmOwnedElsewhereError } from "../vm/vm-provisioner.js";

describe.each(Object.entries(TEST_DATABASES))("VMs of a fleet on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  }, 60_000);
  afterAll(async () => {
    await t.drop();
  });

  function host(hostId: string) {
    const driver = createDryRunDriver();
    let n = 0;
    const provisioner = createVmProvisioner({
      repository: createVmRepository(t.db),
      driver,
      runtime: createNoRuntime(),
      clock: { now: () => new Date() },
      ids: { vmId: () => `vm-${hostId}-${n++}`, auditId: () => `audit-${hostId}-${n++}` },
      hostId,
      defaultProfile: "MEDIUM",
      defaultTenant: "default",
      logger: quietLogger,
      addresses: createAddressAllocator(createPoolRepository(t.db)),
    });
    return { driver, provisioner };
  }

  it("places, reads, refuses and reconciles by host", async () => {
    const a = host("host-a");
    const b = host("host-b");
    const onA = await a.provisioner.create(
      createVmRequest({
        tenant_id: "acme",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:a::1/64" } }],
      }),
      "operator",
    );
    const onB = await b.provisioner.create(
      createVmRequest({
        tenant_id: "acme",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:b::1/64" } }],
      }),
      "operator",
    );
    expect((await b.provisioner.get(onA.vmId))?.record.hostId).toBe("host-a");
    expect(a.driver.applied.has(onA.vmId)).toBe(true);
    expect(b.driver.applied.has(onA.vmId)).toBe(false);

    // Reads are fleet-wide, with a host filter.
    const ids = (vms: { record: { id: string } }[]) => vms.map((v) => v.record.id);
    expect(ids(await b.provisioner.list({ limit: 10 }))).toEqual([onA.vmId, onB.vmId]);
    expect(ids(await b.provisioner.list({ limit: 10, hostId: "host-a" }))).toEqual([onA.vmId]);
    expect(await a.provisioner.count({ hostId: "host-b" })).toBe(1);

    // Every change to host A's VM through host B is refused, naming host A; nothing changes.
    const refusals = await Promise.all([
      b.provisioner.delete(onA.vmId, "operator").catch((e: unknown) => e),
      b.provisioner.boot(onA.vmId, "operator").catch((e: unknown) => e),
      b.provisioner.shutdown(onA.vmId, "operator").catch((e: unknown) => e),
      b.provisioner.setIsolated(onA.vmId, true, "test", "operator").catch((e: unknown) => e),
      b.provisioner
        .reconfigure(onA.vmId, (c) => c, "operator", "vm.update")
        .catch((e: unknown) => e),
    ]);
    for (const refusal of refusals) {
      expect(refusal).toBeInstanceOf(VmOwnedElsewhereError);
      expect(refusal).toMatchObject({ ownerHostId: "host-a", servingHostId: "host-b" });
      const connect = toConnectError(refusal);
      expect(connect.code).toBe(9); // failed_precondition
      expect(connect.rawMessage).toContain('"host-a"');
    }
    const stillOnA = await a.provisioner.get(onA.vmId);
    expect(stillOnA?.record).toMatchObject({ state: "CREATED", isolated: false, configVersion: 1 });

    // Each host's reconcile and live index take its own VMs only.
    expect((await b.provisioner.reconcile([])).vms).toBe(1);
    expect([...b.driver.applied.keys()]).toEqual([onB.vmId]);
    const index = await loadLiveVmIndex(
      { provisioner: a.provisioner, hostId: "host-a", onError: () => undefined },
      () => undefined,
    );
    expect(index.list().map((v) => v.record.id)).toEqual([onA.vmId]);
    index.onStoredEvents([
      { vmId: onB.vmId, eventType: "config_change" } as Parameters<
        typeof index.onStoredEvents
      >[0][number],
    ]);
    await index.settled();
    expect(index.list().map((v) => v.record.id)).toEqual([onA.vmId]);

    // The owner changes it.
    expect(await a.provisioner.delete(onA.vmId, "operator")).toBe("TERMINATED");
  });
});
