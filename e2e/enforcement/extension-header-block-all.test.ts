// Real packets against extension_headers.mode EXTENSION_HEADER_MODE_BLOCK_ALL: a VM under it
// sends and receives no packet carrying a routing, destination-options or hop-by-hop header
// (link-scope MLD excepted), while a plain packet passes. The same crafted packets between two
// VMs whose mode is ALLOW_ALL (profile LOW) are delivered: the drops are the mode's doing, not
// the packets' shape. Frames go to the broadcast MAC (packets.py), so no neighbor discovery
// stands between the send and the capture.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  capture,
  counters,
  createGuest,
  type Guest,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const HEADERS = [
  ["dstopt", "eh_dst"],
  ["rh", "eh_rt"],
  ["hbh", "eh_hbh"],
] as const;

describe.runIf(canSendRealPackets)(
  "extension headers BLOCK_ALL with real packets (sandbox)",
  () => {
    let metald: MetaldProcess;
    let blocker: Guest;
    let peer: Guest;
    let open: Guest;

    const guest = (address: string, extensionHeaders: Record<string, unknown>) =>
      createGuest(metald.url, address, {
        tenant_id: "exthdr",
        ipv6_config: {
          addresses: [`${address}/64`],
          security: { profile: "SECURITY_PROFILE_LOW", extension_headers: extensionHeaders },
        },
      });

    beforeAll(async () => {
      metald = await startMetald("pglite", { driver: "sandbox" });
      blocker = await guest("2001:db8:eb::1", { mode: "EXTENSION_HEADER_MODE_BLOCK_ALL" });
      peer = await guest("2001:db8:eb::2", { mode: "EXTENSION_HEADER_MODE_ALLOW_ALL" });
      open = await guest("2001:db8:eb::3", { mode: "EXTENSION_HEADER_MODE_ALLOW_ALL" });
      for (const g of [blocker, peer, open]) await waitForAddresses(g);
    }, 60_000);

    afterAll(async () => {
      for (const g of [blocker, peer, open]) {
        if (g)
          await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
      }
      await metald?.destroy();
    });

    const ehDrops = async (vm: Guest) => {
      const c = await counters(metald.url, vm.vmId);
      return HEADERS.flatMap(([, set]) => [packets(c, set), packets(c, `${set}_in`)]).reduce(
        (a, b) => a + b,
        0,
      );
    };

    it("delivers a plain packet both ways, and counts no extension-header drop", async () => {
      const before = await ehDrops(blocker);
      const out = await capture(peer, "echo", 5, blocker.address, { expect: 2 });
      await send(blocker, "echo", { src: blocker.address, dst: peer.address, count: 2 });
      expect(await out.result).toBe(2);
      const into = await capture(blocker, "echo", 5, peer.address, { expect: 2 });
      await send(peer, "echo", { src: peer.address, dst: blocker.address, count: 2 });
      expect(await into.result).toBe(2);
      expect(await ehDrops(blocker)).toBe(before);
    });

    it.each(HEADERS)("drops %s from the VM and counts it in %s", async (kind, set) => {
      const before = packets(await counters(metald.url, blocker.vmId), set);
      const seen = await capture(peer, kind, 30, blocker.address);
      await send(blocker, kind, { src: blocker.address, dst: peer.address, count: 3 });
      expect(await seen.stop()).toBe(0);
      expect(packets(await counters(metald.url, blocker.vmId), set) - before).toBe(3);
    });

    it.each(HEADERS)("drops %s to the VM and counts it in %s_in", async (kind, set) => {
      const before = packets(await counters(metald.url, blocker.vmId), `${set}_in`);
      const seen = await capture(blocker, kind, 30, peer.address);
      await send(peer, kind, { src: peer.address, dst: blocker.address, count: 3 });
      expect(await seen.stop()).toBe(0);
      expect(packets(await counters(metald.url, blocker.vmId), `${set}_in`) - before).toBe(3);
    });

    it.each(HEADERS)("delivers %s between two VMs under ALLOW_ALL", async (kind) => {
      const seen = await capture(open, kind, 5, peer.address, { expect: 3 });
      await send(peer, kind, { src: peer.address, dst: open.address, count: 3 });
      expect(await seen.result).toBe(3);
    });

    it("lets link-scope MLD reports (hop-by-hop with Router Alert) through", async () => {
      const before = packets(await counters(metald.url, blocker.vmId), "eh_hbh");
      const seen = await capture(peer, "mld", 5, blocker.linkLocal, { expect: 2 });
      await send(blocker, "mld", { src: blocker.linkLocal, count: 2 });
      expect(await seen.result).toBe(2);
      expect(packets(await counters(metald.url, blocker.vmId), "eh_hbh")).toBe(before);
    });
  },
);
