// Real packets against the bridge-level controls in sandbox mode: RA guard (plain, behind
// extension headers, fragmented), DHCPv6 and redirect shields, source guard (global and
// link-local spoofing, ND spoofing), routing and hop-by-hop headers. Each attack is checked
// at the receiving VM (nothing arrives) and at the attacker's counter (it moved by the number
// sent); legitimate traffic (ping, DAD, MLD, allowed router advertisements) still flows.
// A capture listens before anything is sent; "nothing arrives" is a window of a few seconds,
// always paired with the guard's counter moving by the number sent (the packets reached the
// bridge and were dropped there), and the same capture sees allowed traffic arrive.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GUEST_MARKS_ROOT } from "@metald/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { waitUntil } from "../harness/wait-until.js";
import {
  canSendRealPackets,
  capture,
  counters,
  createGuest,
  type Guest,
  inGuest,
  packets,
  ping,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const ROUTER_MAC = "02:00:00:00:00:0c";
const ROUTER_LL = "fe80::ff:fe00:c";

describe.runIf(canSendRealPackets)("first-hop guards with real packets (sandbox)", () => {
  let metald: MetaldProcess;
  let attacker: Guest;
  let victim: Guest;
  let router: Guest;
  let hbhBlocker: Guest;

  const guest = (
    address: string,
    network: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) =>
    createGuest(metald.url, address, {
      tenant_id: "enforce",
      network: [{ id: "eth0", ipv6: { address: `${address}/64`, ...network }, ...extra }],
    });

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    attacker = await guest("2001:db8:e::a", { security: {} });
    // The victim accepts router advertisements from the router VM's link-local address only.
    victim = await guest("2001:db8:e::b", {
      security: { allowed_ra_sources: [ROUTER_LL], ra_rate_limit: 60 },
    });
    // A VM without RA guard (and without ICMPv6 and multicast limits, which would cap its own
    // advertisements) stands in for the tenant's router.
    router = await guest(
      "2001:db8:e::1",
      { security: { enable_ra_guard: false, icmpv6_rate_limit: 0, multicast_rate_limit: 0 } },
      { mac_address: ROUTER_MAC },
    );
    hbhBlocker = await guest("2001:db8:e::c", { security: { block_hop_by_hop: true } });
    // Duplicate address detection (neighbor solicitations from ::) must get through.
    for (const guest of [attacker, victim, router, hbhBlocker]) await waitForAddresses(guest);
  }, 60_000);

  afterAll(async () => {
    for (const guest of [attacker, victim, router, hbhBlocker]) {
      if (guest)
        await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: guest.vmId });
    }
    await metald?.destroy();
  });

  it("lets legitimate traffic through: ping between VMs of the tenant", async () => {
    const out = await ping(attacker, victim.address, 2, 2);
    expect(out).toBe(2);
  });

  it.each(["ra-plain", "ra-dstopt", "ra-hbh"])(
    "drops a rogue router advertisement (%s) and counts it",
    async (kind) => {
      const before = packets(await counters(metald.url, attacker.vmId), "ra_guard");
      const seen = await capture(victim, "ra", 30, attacker.linkLocal);
      await send(attacker, kind, { src: attacker.linkLocal, count: 3 });
      expect(await seen.stop()).toBe(0);
      expect(packets(await counters(metald.url, attacker.vmId), "ra_guard") - before).toBe(3);
    },
  );

  it.each([
    ["atk6-fake_router6", ["eth0", "2001:db8:bad::/64"]],
    ["atk6-flood_router26", ["eth0"]],
  ])("drops what thc-ipv6's %s sends and counts it", async (tool, args) => {
    const before = packets(await counters(metald.url, attacker.vmId), "ra_guard");
    const seen = await capture(victim, "ra", 30);
    await inGuest(attacker, "timeout", ["2", tool, ...args]).catch(() => "");
    expect(await seen.stop()).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), "ra_guard")).toBeGreaterThan(before);
  });

  it("exports the kernel's exact counters as the guides' Prometheus metrics, and promtool accepts the scrape", async () => {
    const c = await counters(metald.url, attacker.vmId);
    const ra = ["ra_guard", "ra_guard_in", "nd_frag_guard", "redirect_guard", "dhcp_guard"].reduce(
      (n, s) => n + packets(c, s),
      0,
    );
    const text = await (await fetch(metald.metricsUrl)).text();
    const value = (metric: string, labels: string) =>
      Number(new RegExp(`^${metric}\\{${labels}\\} (\\d+)$`, "m").exec(text)?.[1] ?? Number.NaN);
    expect(
      value("metald_ipv6_ra_guard_blocks_total", `vm_id="${attacker.vmId}",customer_id="enforce"`),
    ).toBe(ra);
    expect(
      value(
        "metald_ipv6_source_guard_violations_total",
        `vm_id="${attacker.vmId}",customer_id="enforce"`,
      ),
    ).toBe(packets(c, "source_guard"));
    expect(text).toContain("# TYPE metald_ipv6_rate_limit_violations_total counter");
    const check = spawnSync("promtool", ["check", "metrics"], { input: text });
    expect(check.status, check.stdout.toString() + check.stderr.toString()).toBe(0);
  });

  it("turns the counters into security events: type, VM, tenant and counts, queryable as the guides do", async () => {
    type Event = {
      event_id: string;
      vm_id: string;
      tenant_id: string;
      customer_id: string;
      event_type: string;
      count: number;
      severity: string;
    };
    const raDrops = async () => {
      const c = await counters(metald.url, attacker.vmId);
      return ["ra_guard", "ra_guard_in", "nd_frag_guard", "redirect_guard", "dhcp_guard"].reduce(
        (n, s) => n + packets(c, s),
        0,
      );
    };
    const raEvents = async () => {
      const res = await fetch(
        `${metald.url}/api/v1/security/events?vm_id=${attacker.vmId}&event_type=ra_guard_block&since=1h&limit=1000`,
      );
      return (await res.json()) as { events: Event[]; next_cursor: string };
    };
    // The poller turns counter readings into events every METALD_EVENT_POLL_MS: wait until the
    // events account for every packet the counters hold.
    let seen = "";
    const { ra, events, next_cursor } = await waitUntil(
      () => `ra_guard_block events totalling the counters (last seen ${seen})`,
      async () => {
        const ra = await raDrops();
        const page = await raEvents();
        const total = page.events.reduce((n, e) => n + e.count, 0);
        seen = `${total} in events, ${ra} in counters`;
        return total === ra && { ra, ...page };
      },
    );
    expect(ra).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(0);
    expect(
      events.every(
        (e) => e.vm_id === attacker.vmId && e.customer_id === "enforce" && e.severity === "warning",
      ),
    ).toBe(true);
    expect(next_cursor).toBeTruthy();
    const one = (await (
      await fetch(`${metald.url}/api/v1/security/events/${events[0]?.event_id}`)
    ).json()) as Event;
    expect(one.event_type).toBe("ra_guard_block");
    const all = (await (await fetch(`${metald.url}/debug/security/events`)).json()) as Event[];
    expect(
      all.some(
        (e) =>
          e.vm_id === attacker.vmId &&
          e.tenant_id === "enforce" &&
          e.event_type === "ra_guard_block",
      ),
    ).toBe(true);
    expect((await fetch(`${metald.url}/api/v1/security/events?since=yesterday`)).status).toBe(400);
  });

  it("drops a fragmented router advertisement whose ICMPv6 header is in the second fragment (RFC 7112/7113)", async () => {
    const before = packets(await counters(metald.url, attacker.vmId), "nd_frag_guard");
    const seen = await capture(victim, "ra", 30, attacker.linkLocal);
    const sent = await send(attacker, "ra-frag", { src: attacker.linkLocal });
    expect(sent).toBeGreaterThan(1);
    expect(await seen.stop()).toBe(0);
    // Every fragment carries a link-local source to a multicast group: every one is dropped.
    expect(packets(await counters(metald.url, attacker.vmId), "nd_frag_guard") - before).toBe(sent);
  });

  it("delivers router advertisements from an allowed router, and drops them for a VM that does not allow it", async () => {
    const victimSees = await capture(victim, "ra", 5, ROUTER_LL, { expect: 2 });
    const attackerSees = await capture(attacker, "ra", 30, ROUTER_LL);
    const before = packets(await counters(metald.url, attacker.vmId), "ra_guard_in");
    // No option the victim's HIGH profile blocks (block_config: port-guard.test.ts).
    await send(router, "ra-opt-none", { src: ROUTER_LL, count: 2 });
    expect(await victimSees.result).toBe(2);
    expect(await attackerSees.stop()).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), "ra_guard_in") - before).toBe(2);
  });

  it("limits router advertisements from an allowed router to ra_rate_limit per minute", async () => {
    const before = packets(await counters(metald.url, victim.vmId), "rl_ra_drops");
    const seen = await capture(victim, "ra", 30, ROUTER_LL);
    const sent = await send(router, "ra-opt-none", { src: ROUTER_LL, count: 20 });
    const received = await seen.stop();
    const dropped = packets(await counters(metald.url, victim.vmId), "rl_ra_drops") - before;
    expect(dropped).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(6);
    expect(received + dropped).toBe(sent);
  });

  it.each([
    ["dhcp-reply", "dhcp_guard"],
    ["redirect", "redirect_guard"],
  ])("drops a %s from a VM (RFC 7610 / RA guard family) and counts it", async (kind, set) => {
    const before = packets(await counters(metald.url, attacker.vmId), set);
    await send(attacker, kind, { src: attacker.linkLocal, dst: victim.linkLocal, count: 2 });
    expect(packets(await counters(metald.url, attacker.vmId), set) - before).toBe(2);
  });

  it.each([
    ["a global address of another VM", () => victim.address],
    ["an address outside the VM's", () => "2001:db8:bad::1"],
    ["a link-local address not its own", () => "fe80::bad"],
  ])("drops packets spoofing %s and counts them", async (_what, spoofed) => {
    const src = spoofed();
    const before = packets(await counters(metald.url, attacker.vmId), "source_guard");
    const seen = await capture(victim, "echo", 30, src);
    await send(attacker, "echo", { src, dst: victim.address, count: 4 });
    expect(await seen.stop()).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), "source_guard") - before).toBe(4);
  });

  it("drops a neighbor advertisement for another VM's address, and delivers one for the VM's own", async () => {
    const before = packets(await counters(metald.url, attacker.vmId), "nd_guard");
    const spoofed = await capture(victim, "na", 30, attacker.linkLocal);
    await send(attacker, "na", { src: attacker.linkLocal, target: victim.address, count: 2 });
    expect(await spoofed.stop()).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), "nd_guard") - before).toBe(2);
    const own = await capture(victim, "na", 5, attacker.linkLocal, { expect: 1 });
    await send(attacker, "na", { src: attacker.linkLocal, target: attacker.address });
    expect(await own.result).toBe(1);
  });

  it.each([
    ["rh0", "eh_rt0"],
    ["rh", "eh_rt"],
    ["dstopt", "eh_dst"],
  ])("drops %s extension headers under the HIGH profile and counts them", async (kind, set) => {
    const before = packets(await counters(metald.url, attacker.vmId), set);
    const seen = await capture(victim, kind, 30, attacker.address);
    await send(attacker, kind, { src: attacker.address, dst: victim.address, count: 2 });
    expect(await seen.stop()).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), set) - before).toBe(2);
  });

  it("quarantine (IsolateVm) drops every frame from and to the VM, counts them, and is reversible", async () => {
    const isolate = await postJson(`${metald.url}/vmprovisioner.v1.VmService/IsolateVm`, {
      vm_id: attacker.vmId,
      reason: "Security violation investigation",
    });
    expect(isolate.body).toEqual({ success: true, isolated: true });
    const before = await counters(metald.url, attacker.vmId);
    const out = await ping(attacker, victim.address, 2, 1);
    expect(out).toBe(0);
    const during = await counters(metald.url, attacker.vmId);
    expect(packets(during, "quarantine") - packets(before, "quarantine")).toBeGreaterThanOrEqual(2);
    const inbound = await ping(victim, attacker.address, 1, 1);
    expect(inbound).toBe(0);
    expect(packets(await counters(metald.url, attacker.vmId), "quarantine_in")).toBeGreaterThan(
      packets(before, "quarantine_in"),
    );

    const release = await postJson(`${metald.url}/vmprovisioner.v1.VmService/UnisolateVm`, {
      vm_id: attacker.vmId,
    });
    expect(release.body).toEqual({ success: true, isolated: false });
    const after = await ping(attacker, victim.address, 2, 2);
    expect(after).toBe(2);
  });

  it("keeps tenants apart on a shared bridge: frames from another tenant's VM are dropped and counted", async () => {
    const intruder = await createGuest(metald.url, "2001:db8:e::99", {
      tenant_id: "intruder",
      network: [{ id: "eth0", bridge_name: "br-enforce", ipv6: { address: "2001:db8:e::99/64" } }],
    });
    const vmId = intruder.vmId;
    try {
      await waitForAddresses(intruder);
      const before = packets(await counters(metald.url, victim.vmId), "inter_tenant_drops");
      const out = await ping(intruder, victim.address, 2, 1);
      expect(out).toBe(0);
      expect(
        packets(await counters(metald.url, victim.vmId), "inter_tenant_drops"),
      ).toBeGreaterThan(before);
    } finally {
      await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: vmId });
    }
    // Deleting a VM leaves no element, link or namespace of it behind.
    const sandbox = metald.env.METALD_SANDBOX_NAMESPACE as string;
    const ruleset = execFileSync("ip", [
      "netns",
      "exec",
      sandbox,
      "nft",
      "list",
      "ruleset",
    ]).toString();
    expect(ruleset).not.toContain(intruder.tap);
    expect(ruleset).not.toContain("2001:db8:e::99");
    expect(execFileSync("ip", ["-n", sandbox, "link", "show"]).toString()).not.toContain(
      intruder.tap,
    );
    expect(execFileSync("ip", ["netns", "list"]).toString()).not.toContain(intruder.namespace);
  });

  it("a host-wide blocked source is dropped and counted until it is removed", async () => {
    const url = `${metald.url}/debug/security/blocked-sources`;
    const add = await postJson(url, { source: attacker.address, reason: "test" });
    expect(add.status).toBe(201);
    const blocked = await ping(attacker, victim.address, 2, 1);
    expect(blocked).toBe(0);
    const list = (await (await fetch(url)).json()) as { source: string; packets: number }[];
    expect(list.find((b) => b.source === attacker.address)?.packets).toBeGreaterThanOrEqual(2);
    const removed = await fetch(`${url}/${encodeURIComponent(attacker.address)}`, {
      method: "DELETE",
    });
    expect(removed.status).toBe(200);
    const after = await ping(attacker, victim.address, 2, 2);
    expect(after).toBe(2);
  });

  it("after a restart the host is rebuilt from the database: traffic flows and guards still hold", async () => {
    await metald.restart();
    const ok = await ping(attacker, victim.address, 2, 2);
    expect(ok).toBe(2);
    const before = packets(await counters(metald.url, attacker.vmId), "source_guard");
    await send(attacker, "echo", { src: "2001:db8:bad::2", dst: victim.address, count: 3 });
    expect(packets(await counters(metald.url, attacker.vmId), "source_guard") - before).toBe(3);
  });

  it("reconcile removes leftovers of VMs that no longer exist, and only its own", async () => {
    const sandbox = metald.env.METALD_SANDBOX_NAMESPACE as string;
    const leftover = `mvm-${randomBytes(5).toString("hex")}`;
    const foreign = `mvm-${randomBytes(5).toString("hex")}`;
    // A guest namespace this sandbox made is marked as its own (a file under its marks
    // directory); the foreign one is not (as another server's guest would be, seen from here).
    execFileSync("ip", ["netns", "add", leftover]);
    mkdirSync(join(GUEST_MARKS_ROOT, sandbox), { recursive: true });
    writeFileSync(join(GUEST_MARKS_ROOT, sandbox, leftover), "");
    execFileSync("ip", ["netns", "add", foreign]);
    try {
      execFileSync("ip", [
        "-n",
        sandbox,
        "link",
        "add",
        "tapdeadbeef0",
        "type",
        "veth",
        "peer",
        "name",
        "eth9",
      ]);
      const res = await postJson(`${metald.url}/debug/reconcile`, {});
      expect(res.status).toBe(200);
      const { removed } = res.body as { removed: string[] };
      expect(removed).toEqual(expect.arrayContaining(["tapdeadbeef0", leftover]));
      expect(removed).not.toContain(foreign);
      const namespaces = execFileSync("ip", ["netns", "list"]).toString();
      expect(namespaces).not.toContain(leftover);
      expect(namespaces).toContain(foreign);
    } finally {
      spawnSync("ip", ["netns", "delete", foreign]);
    }
  });

  it("with block_hop_by_hop, drops hop-by-hop headers but lets MLD reports through", async () => {
    const before = packets(await counters(metald.url, hbhBlocker.vmId), "eh_hbh");
    const echo = await capture(victim, "hbh", 30, hbhBlocker.address);
    await send(hbhBlocker, "hbh", { src: hbhBlocker.address, dst: victim.address, count: 2 });
    expect(await echo.stop()).toBe(0);
    expect(packets(await counters(metald.url, hbhBlocker.vmId), "eh_hbh") - before).toBe(2);
    const mld = await capture(victim, "mld", 5, hbhBlocker.linkLocal, { expect: 2 });
    await send(hbhBlocker, "mld", { src: hbhBlocker.linkLocal, count: 2 });
    expect(await mld.result).toBe(2);
    expect(packets(await counters(metald.url, hbhBlocker.vmId), "eh_hbh") - before).toBe(2);
  });
});
