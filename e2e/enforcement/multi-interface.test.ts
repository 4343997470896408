// Seed 001's Example 3, a VM with two interfaces on two bridges (`primary` on br-financial,
// `backup` on the backup bridge, renamed to fit Linux's 15 characters), created, booted and
// deleted in the sandbox, with each port's policy proven by real packets from a neighbour on
// the same bridge.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hexifySeedBody } from "../fixtures/hexify-seed-body.js";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { seedBody } from "../harness/seed-bodies.js";
import {
  canSendRealPackets,
  capture,
  connectTcp,
  createGuest,
  type Guest,
  listenTcp,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const exec = promisify(execFile);
const TENANT = "financial-services-corp";
const BACKUP_BRIDGE = "br-financial-bk";

interface DebugInterface {
  guest_namespace: string;
  link_local: string;
  tap_device: string;
  bridge: string;
  counters: Record<string, { packets: number; bytes: number }>;
}

describe.runIf(canSendRealPackets)("a VM with two interfaces on two bridges (sandbox)", () => {
  let metald: MetaldProcess;
  let vmId: string;
  let primary: Guest;
  let backup: Guest;
  let finPeer: Guest;
  let backupPeer: Guest;
  let stopListeners: () => void = () => undefined;

  const debugInterfaces = async (id: string) =>
    (
      (await (await fetch(`${metald.url}/debug/network/vm/${id}`)).json()) as {
        interfaces: DebugInterface[];
      }
    ).interfaces;
  const portCounter = async (index: number, set: string) =>
    packets((await debugInterfaces(vmId))[index]?.counters ?? {}, set);

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    const body = hexifySeedBody(seedBody("001-example3-tenant-a-financial")) as {
      config: { network: { bridge_name: string }[] };
    };
    (body.config.network[1] as { bridge_name: string }).bridge_name = BACKUP_BRIDGE;
    const created = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, body);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    vmId = (created.body as { vmId: string }).vmId;
    const booted = await postJson(`${metald.url}/vmprovisioner.v1.VmService/BootVm`, {
      vm_id: vmId,
    });
    expect(booted.status).toBe(200);
    const [p, b] = await debugInterfaces(vmId);
    if (!p || !b) throw new Error("the VM should have two interfaces");
    const view = (nic: DebugInterface, iface: string, address: string): Guest => ({
      vmId,
      namespace: nic.guest_namespace,
      iface,
      address,
      linkLocal: nic.link_local,
      tap: nic.tap_device,
    });
    primary = view(p, "primary", "2600:beef:2000:f1::100");
    backup = view(b, "backup", "2600:beef:2001:bac::100");
    // Neighbours of the same tenant, one on each bridge, with no rule lists of their own.
    const peer = (address: string, bridge: string) =>
      createGuest(metald.url, address, {
        tenant_id: TENANT,
        network: [{ id: "eth0", bridge_name: bridge, ipv6: { address: `${address}/64` } }],
      });
    finPeer = await peer("2600:beef:2000:f1::200", "br-financial");
    backupPeer = await peer("2600:beef:2001:bac::200", BACKUP_BRIDGE);
    for (const g of [primary, backup, finPeer, backupPeer]) await waitForAddresses(g);
    const stopPrimary = await listenTcp(primary, [443, 22]);
    const stopBackup = await listenTcp(backup, [22]);
    stopListeners = () => {
      stopPrimary();
      stopBackup();
    };
  }, 90_000);

  afterAll(async () => {
    stopListeners();
    await metald?.destroy();
  });

  it("puts each interface on its own bridge", async () => {
    const nics = await debugInterfaces(vmId);
    expect(nics.map((n) => n.bridge)).toEqual(["br-financial", BACKUP_BRIDGE]);
    expect(nics[0]?.tap_device).not.toBe(nics[1]?.tap_device);
  });

  it("primary: its ingress rules let the tenant's network reach port 443 and drop port 22", async () => {
    expect(await connectTcp(finPeer, primary.address, 443)).toBe(1);
    const before = await portCounter(0, "ingress_default_drop");
    expect(await connectTcp(finPeer, primary.address, 22, 1, 1.5)).toBe(0);
    expect(await portCounter(0, "ingress_default_drop")).toBeGreaterThan(before);
  });

  it("backup: its ingress rules drop port 22 from outside the tenant's primary network", async () => {
    const before = await portCounter(1, "ingress_default_drop");
    expect(await connectTcp(backupPeer, backup.address, 22, 1, 1.5)).toBe(0);
    expect(await portCounter(1, "ingress_default_drop")).toBeGreaterThan(before);
  });

  it.each([
    ["primary", 0],
    ["backup", 1],
  ] as const)(
    "%s: the neighbour on its bridge hears its own advertisements but none of its rogue router advertisements",
    async (name, index) => {
      const port = name === "primary" ? primary : backup;
      const neighbour = name === "primary" ? finPeer : backupPeer;
      // Positive control: a neighbor advertisement for the port's own address crosses the bridge.
      // It goes to ff02::1 and the primary port's multicast limit is 10/s with a burst of 1, so a
      // multicast packet the guest itself has just sent (MLD, neighbor discovery) can hold the
      // only token: the control is repeated until heard, within a deadline.
      await expect
        .poll(
          async () => {
            const heard = await capture(neighbour, "na", 2, port.linkLocal, { expect: 1 });
            await send(port, "na", { src: port.linkLocal, target: port.address });
            return heard.result;
          },
          { timeout: 20_000, interval: 250 },
        )
        .toBe(1);

      const before = await portCounter(index, "ra_guard");
      const rogue = await capture(neighbour, "ra", 30, port.linkLocal);
      await send(port, "ra-plain", { src: port.linkLocal, count: 3 });
      expect(await rogue.stop()).toBe(0);
      expect((await portCounter(index, "ra_guard")) - before).toBe(3);
    },
    45_000,
  );

  it("deletes cleanly: both ports, the guest namespace and the bridges nobody else uses", async () => {
    const namespace = metald.env.METALD_SANDBOX_NAMESPACE as string;
    const nics = await debugInterfaces(vmId);
    for (const id of [vmId, finPeer.vmId, backupPeer.vmId]) {
      const deleted = await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, {
        vm_id: id,
      });
      expect(deleted.status).toBe(200);
    }
    const links = JSON.parse(
      (await exec("ip", ["-n", namespace, "-j", "link", "show"])).stdout,
    ) as {
      ifname: string;
    }[];
    const names = links.map((l) => l.ifname);
    for (const nic of nics) expect(names).not.toContain(nic.tap_device);
    expect(names).not.toContain("br-financial");
    expect(names).not.toContain(BACKUP_BRIDGE);
    const { stdout } = await exec("ip", ["-j", "netns", "list"]);
    const namespaces = (JSON.parse(stdout || "[]") as { name: string }[]).map((n) => n.name);
    expect(namespaces).not.toContain(primary.namespace);
  });
});
