// MigrateVm between two sandbox hosts on one PostgreSQL (docs/fleet.md): a running VM whose
// rule list allows TCP port 80 and denies everything else moves from host A to host B. Real
// packets are delivered and blocked on B as they were on A, A's kernel no longer holds the VM's
// port, elements or guest while B's does, GetVm names B, and a change sent to A names B.
import { tapName } from "@metald/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  canSendRealPackets,
  connectTcp,
  counters,
  createGuest,
  type Guest,
  listenTcp,
  packets,
  waitForAddresses,
} from "./enforcement/sandbox-guests.js";
import { postJson } from "./harness/curl-like.js";
import { readKernelState } from "./harness/kernel-state.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { createPostgresSchema } from "./harness/postgres-schema.js";
import { waitUntil } from "./harness/wait-until.js";

const VM = "/vmprovisioner.v1.VmService";
const HEARTBEAT_MS = 400;
const SERVER = "2001:db8:f6::5";

/** The guest of `vmId` as `host` runs it (each sandbox names its own guest namespace). */
async function guestOn(host: MetaldProcess, vmId: string, address: string): Promise<Guest> {
  const res = await fetch(`${host.url}/debug/network/vm/${vmId}`);
  const body = (await res.json()) as {
    interfaces: { guest_namespace: string; link_local: string; tap_device: string }[];
  };
  const nic = body.interfaces[0];
  if (!nic) throw new Error(`vm ${vmId} has no interface on ${host.url}`);
  return {
    vmId,
    namespace: nic.guest_namespace,
    iface: "eth0",
    address,
    linkLocal: nic.link_local,
    tap: nic.tap_device,
  };
}

/** What a sandbox host holds of one VM: its port link, its address in the sets, its guest. */
async function heldBy(host: MetaldProcess, vmId: string, guestNamespace: string) {
  const state = await readKernelState(host.env.METALD_SANDBOX_NAMESPACE as string);
  const sets = JSON.stringify(state.sets);
  return {
    port: state.links.some((l) => l.name === tapName(vmId, 0)),
    portElements: sets.includes(tapName(vmId, 0)),
    address: sets.includes(SERVER),
    guest: state.guests.some((g) => g.namespace === guestNamespace),
  };
}

describe.runIf(canSendRealPackets)("MigrateVm between two sandbox hosts on one PostgreSQL", () => {
  let schema: Awaited<ReturnType<typeof createPostgresSchema>> | undefined;
  let a: MetaldProcess;
  let b: MetaldProcess;
  const stops: (() => void)[] = [];

  beforeAll(async () => {
    schema = await createPostgresSchema("metald_migrate");
    const shared = { DATABASE_URL: schema.url, METALD_HEARTBEAT_MS: String(HEARTBEAT_MS) };
    a = await startMetald("postgres", {
      driver: "sandbox",
      logLevel: "warn",
      env: { ...shared, METALD_HOST_ID: "migrate-a" },
    });
    b = await startMetald("postgres", {
      driver: "sandbox",
      logLevel: "warn",
      env: { ...shared, METALD_HOST_ID: "migrate-b" },
    });
  }, 120_000);

  afterAll(async () => {
    for (const stop of stops) stop();
    await a?.destroy();
    await b?.destroy();
    await schema?.drop();
  }, 60_000);

  it("moves a running VM: the same packets are delivered and blocked on B, A keeps nothing of it", async () => {
    const rules = {
      tenant_id: "movers",
      network: [
        {
          id: "eth0",
          ipv6: { address: `${SERVER}/64` },
          security_policy: {
            ingress_rules: ["allow tcp from any to any port 80", "deny all from any to any"],
          },
        },
      ],
    };
    const server = await createGuest(a.url, SERVER, rules);
    const clientA = await createGuest(a.url, "2001:db8:f6::6", {
      tenant_id: "movers",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:f6::6/64" } }],
    });
    // A client on B's side, where the server will run.
    const clientB = await createGuest(b.url, "2001:db8:f6::7", {
      tenant_id: "movers",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:f6::7/64" } }],
    });
    for (const g of [server, clientA, clientB]) await waitForAddresses(g);
    stops.push(await listenTcp(server, [80, 8080]));

    // On A: port 80 delivered, 8080 dropped by the server's rule list and counted on A.
    expect(await connectTcp(clientA, SERVER, 80)).toBe(1);
    const dropsOnA = packets(await counters(a.url, server.vmId), "ingress_default_drop");
    expect(await connectTcp(clientA, SERVER, 8080, 1, 1.5)).toBe(0);
    expect(packets(await counters(a.url, server.vmId), "ingress_default_drop")).toBeGreaterThan(
      dropsOnA,
    );
    expect(await heldBy(a, server.vmId, server.namespace)).toEqual({
      port: true,
      portElements: true,
      address: true,
      guest: true,
    });

    // Sent to the target host.
    const moved = await postJson(`${b.url}${VM}/MigrateVm`, {
      vm_id: server.vmId,
      reason: "drain migrate-a",
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({
      vmId: server.vmId,
      hostId: "migrate-b",
      sourceHostId: "migrate-a",
      moved: true,
      state: "VM_STATE_RUNNING",
    });
    const serverOnB = await guestOn(b, server.vmId, SERVER);
    expect(serverOnB.namespace).not.toBe(server.namespace);
    expect(serverOnB.tap).toBe(server.tap);
    expect(await heldBy(b, server.vmId, serverOnB.namespace)).toEqual({
      port: true,
      portElements: true,
      address: true,
      guest: true,
    });

    // A removes its copy once it reads the move (within a heartbeat interval or so).
    const left = await waitUntil(
      "host A to remove its copy of the VM",
      async () => {
        const held = await heldBy(a, server.vmId, server.namespace);
        return Object.values(held).every((v) => !v) && held;
      },
      { timeoutMs: 20 * HEARTBEAT_MS },
    );
    expect(left).toEqual({ port: false, portElements: false, address: false, guest: false });
    // The client left on A keeps its own.
    expect(
      JSON.stringify((await readKernelState(a.env.METALD_SANDBOX_NAMESPACE as string)).sets),
    ).toContain("2001:db8:f6::6");

    // On B: the same identity (MAC, addresses) and the same packets delivered and dropped.
    await waitForAddresses(serverOnB);
    stops.push(await listenTcp(serverOnB, [80, 8080]));
    expect(await connectTcp(clientB, SERVER, 80)).toBe(1);
    const dropsOnB = packets(await counters(b.url, server.vmId), "ingress_default_drop");
    expect(await connectTcp(clientB, SERVER, 8080, 1, 1.5)).toBe(0);
    expect(packets(await counters(b.url, server.vmId), "ingress_default_drop")).toBeGreaterThan(
      dropsOnB,
    );

    // Every host says B; a change sent to A is refused naming B; a retry on B changes nothing.
    for (const host of [a, b]) {
      const got = await postJson(`${host.url}${VM}/GetVm`, { vm_id: server.vmId });
      expect(got.body).toMatchObject({ hostId: "migrate-b", state: "VM_STATE_RUNNING" });
    }
    const update = await postJson(`${a.url}${VM}/UpdateSecurityPolicy`, {
      vm_id: server.vmId,
      security_policy: { ingress_rules: ["allow all from any to any"] },
    });
    expect(update.body).toMatchObject({
      code: "failed_precondition",
      message: expect.stringContaining('host "migrate-b"'),
    });
    expect(await connectTcp(clientB, SERVER, 8080, 1, 1.5)).toBe(0);
    const again = await postJson(`${b.url}${VM}/MigrateVm`, { vm_id: server.vmId });
    expect(again.body).toMatchObject({ hostId: "migrate-b", moved: false });

    // The move is in the audit trail with who asked and why.
    const audit = await fetch(`${a.url}/api/v1/audit?vm_id=${server.vmId}&action=vm.migrate`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(await audit.json())).toContain("drain migrate-a");
  }, 120_000);
});
