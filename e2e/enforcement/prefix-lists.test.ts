// Real packets against the prefix lists of source_validation: allowed_egress_prefixes with
// strict_egress (destinations a VM may send to) and allowed_ingress_prefixes with strict_ingress
// (sources a VM accepts). Four VMs on one bridge in three /64s: the guarded pair in
// 2001:db8:20::/64, a peer inside the listed prefix (2001:db8:21::/64) and one outside it
// (2001:db8:22::/64). Each denied ping is checked at the other end (a capture sees no echo
// request) and at the guarded VM's counter (moved by the number of requests); the same VM's
// ping into the listed prefix and into its own prefix gets every reply.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  capture,
  counters,
  createGuest,
  type Guest,
  inGuest,
  packets,
  ping,
  waitForAddresses,
} from "./sandbox-guests.js";

const LISTED = "2001:db8:21::/64";

describe.runIf(canSendRealPackets)("prefix lists with real packets (sandbox)", () => {
  let metald: MetaldProcess;
  let egressGuarded: Guest;
  let ingressGuarded: Guest;
  let inside: Guest;
  let outside: Guest;

  const guest = (address: string, sourceValidation: Record<string, unknown> = {}) =>
    createGuest(metald.url, address, {
      tenant_id: "prefixes",
      ipv6_config: {
        addresses: [`${address}/64`],
        security: { source_validation: sourceValidation },
      },
    });

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    // One VM per direction: a VM with both lists would drop the neighbor advertisement of a
    // peer outside the list (ingress) before its own echo request could leave (egress).
    egressGuarded = await guest("2001:db8:20::1", {
      strict_egress: true,
      allowed_egress_prefixes: [LISTED],
    });
    ingressGuarded = await guest("2001:db8:20::2", {
      strict_ingress: true,
      allowed_ingress_prefixes: [LISTED],
    });
    inside = await guest("2001:db8:21::1");
    outside = await guest("2001:db8:22::1");
    for (const g of [egressGuarded, ingressGuarded, inside, outside]) {
      await waitForAddresses(g);
      // Three prefixes on one bridge: every other prefix is on-link too.
      await inGuest(g, "ip", ["-6", "route", "add", "2001:db8::/32", "dev", "eth0"]);
    }
  }, 60_000);

  afterAll(async () => {
    for (const g of [egressGuarded, ingressGuarded, inside, outside]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  it("allowed_egress_prefixes: a VM reaches the listed prefix and its own", async () => {
    const before = packets(await counters(metald.url, egressGuarded.vmId), "egress_prefix_drops");
    expect(await ping(egressGuarded, inside.address, 2, 2)).toBe(2);
    expect(await ping(egressGuarded, ingressGuarded.address, 2, 2)).toBe(2);
    expect(packets(await counters(metald.url, egressGuarded.vmId), "egress_prefix_drops")).toBe(
      before,
    );
  });

  it("allowed_egress_prefixes: a destination outside the list gets nothing, drops counted on the sender", async () => {
    const before = packets(await counters(metald.url, egressGuarded.vmId), "egress_prefix_drops");
    const seen = await capture(outside, "echo", 30, egressGuarded.address);
    expect(await ping(egressGuarded, outside.address, 3, 1)).toBe(0);
    expect(await seen.stop()).toBe(0);
    expect(
      packets(await counters(metald.url, egressGuarded.vmId), "egress_prefix_drops") - before,
    ).toBe(3);
  });

  it("allowed_ingress_prefixes: a VM accepts the listed prefix and its own", async () => {
    const before = packets(await counters(metald.url, ingressGuarded.vmId), "ingress_prefix_drops");
    expect(await ping(inside, ingressGuarded.address, 2, 2)).toBe(2);
    expect(await ping(egressGuarded, ingressGuarded.address, 2, 2)).toBe(2);
    expect(packets(await counters(metald.url, ingressGuarded.vmId), "ingress_prefix_drops")).toBe(
      before,
    );
  });

  it("allowed_ingress_prefixes: a source outside the list does not reach the VM, drops counted on the receiver", async () => {
    const before = packets(await counters(metald.url, ingressGuarded.vmId), "ingress_prefix_drops");
    const seen = await capture(ingressGuarded, "echo", 30, outside.address);
    expect(await ping(outside, ingressGuarded.address, 3, 1)).toBe(0);
    expect(await seen.stop()).toBe(0);
    expect(
      packets(await counters(metald.url, ingressGuarded.vmId), "ingress_prefix_drops") - before,
    ).toBe(3);
  });

  it("the peer outside the lists is reachable from VMs without them: the drops above are the lists' doing", async () => {
    expect(await ping(outside, inside.address, 2, 2)).toBe(2);
  });
});
