// Real packets against the eBPF port guard (packages/core/bpf/vm_guard.c): ra_guard.block_config
// on router advertisements from an allowed router, and extension_headers.max_chain_length both
// ways. Each drop is checked at the receiving VM (nothing arrives within the window) and at the
// guarded VM's counter (it moved by the number sent); the same capture sees what is allowed
// arrive. A VM that blocks only RDNSS receives the other options, so each drop is its flag's
// doing. Captures listen before anything is sent.

import { kernelTestsCanRun } from "@metald/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { waitUntil } from "../harness/wait-until.js";
import {
  capture,
  counters,
  createGuest,
  type Guest,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const ROUTER_MAC = "02:00:00:00:00:0d";
const ROUTER_LL = "fe80::ff:fe00:d";
const MAX_CHAIN = 2;

const OPTIONS = [
  ["prefix", "block_prefix_info", "ra_opt_prefix_in"],
  ["mtu", "block_mtu_options", "ra_opt_mtu_in"],
  ["route", "block_route_info", "ra_opt_route_in"],
  ["rdnss", "block_rdnss", "ra_opt_rdnss_in"],
] as const;

// Positive windows are long and end at the expected packet; negative ones end when the test
// stops them after the send, and the guard's counter proves the drop either way.
const canRun = kernelTestsCanRun("the eBPF port guard with real packets", [
  "root",
  "ip",
  "nft",
  "scapy",
  "bpf",
]);

describe.runIf(canRun)("eBPF port guard with real packets (sandbox)", { timeout: 120_000 }, () => {
  let metald: MetaldProcess;
  let router: Guest;
  let guarded: Guest;
  let rdnssOnly: Guest;
  let peer: Guest;

  const lowGuest = (address: string, security: Record<string, unknown>) =>
    createGuest(metald.url, address, {
      tenant_id: "guard",
      ipv6_config: {
        addresses: [`${address}/64`],
        security: { profile: "SECURITY_PROFILE_LOW", ...security },
      },
    });
  const allowRouter = (blockConfig: Record<string, boolean>) => ({
    enabled: true,
    block_all_ra: false,
    allowed_routers: [ROUTER_LL],
    block_config: blockConfig,
  });

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    const host = (await postJson(`${metald.url}/vmprovisioner.v1.HostService/GetHostInfo`, {}))
      .body as { capabilities?: { notes?: string[] } };
    const notes = host.capabilities?.notes ?? [];
    if (notes.some((n) => n.startsWith("no eBPF port guard")))
      throw new Error(`the eBPF port guard does not load here: ${notes.join("; ")}`);
    // A VM without RA guard, extension-header or ICMPv6 limits (profile LOW, RA guard off)
    // stands in for the tenant's router: what it sends reaches the bridge unchanged.
    router = await createGuest(metald.url, "2001:db8:9a::1", {
      tenant_id: "guard",
      ipv6_config: {
        addresses: ["2001:db8:9a::1/64"],
        interface: { name: "eth0", mac_address: ROUTER_MAC },
        security: { profile: "SECURITY_PROFILE_LOW", ra_guard: { enabled: false } },
      },
    });
    guarded = await lowGuest("2001:db8:9a::2", {
      ra_guard: allowRouter(Object.fromEntries(OPTIONS.map(([, field]) => [field, true]))),
      extension_headers: { mode: "EXTENSION_HEADER_MODE_ALLOW_ALL", max_chain_length: MAX_CHAIN },
    });
    rdnssOnly = await lowGuest("2001:db8:9a::3", {
      ra_guard: allowRouter({ block_rdnss: true }),
    });
    peer = await lowGuest("2001:db8:9a::4", {});
    for (const g of [router, guarded, rdnssOnly, peer]) await waitForAddresses(g);
  }, 90_000);

  afterAll(async () => {
    for (const g of [router, guarded, rdnssOnly, peer]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  const drops = async (vm: Guest, set: string) => packets(await counters(metald.url, vm.vmId), set);

  for (const [option, field, set] of OPTIONS) {
    it(`${field}: an RA from the allowed router carrying the option is dropped and counted, one without it delivered`, async () => {
      const before = await drops(guarded, set);
      // The guarded VM: the RA with the option is dropped, the one without it arrives.
      const blocked = await capture(guarded, "ra", 30, ROUTER_LL);
      await send(router, `ra-opt-${option}`, { src: ROUTER_LL, count: 2 });
      expect(await blocked.stop()).toBe(0);
      await waitUntil(
        "the guard's counter",
        async () => (await drops(guarded, set)) - before === 2,
        { timeoutMs: 10_000 },
      );
      const plain = await capture(guarded, "ra", 15, ROUTER_LL, { expect: 1 });
      await send(router, "ra-opt-none", { src: ROUTER_LL });
      expect(await plain.result).toBe(1);
    });
  }

  it("blocks only the options a VM's flags name: RDNSS dropped, prefix information delivered", async () => {
    const before = await drops(rdnssOnly, "ra_opt_rdnss_in");
    const rdnss = await capture(rdnssOnly, "ra", 30, ROUTER_LL);
    await send(router, "ra-opt-rdnss", { src: ROUTER_LL });
    expect(await rdnss.stop()).toBe(0);
    await waitUntil(
      "the guard's counter",
      async () => (await drops(rdnssOnly, "ra_opt_rdnss_in")) - before === 1,
      { timeoutMs: 10_000 },
    );
    const prefix = await capture(rdnssOnly, "ra", 15, ROUTER_LL, { expect: 1 });
    await send(router, "ra-opt-prefix", { src: ROUTER_LL });
    expect(await prefix.result).toBe(1);
  });

  it("finds a blocked option behind a destination-options header (the walk follows the chain)", async () => {
    const before = await drops(guarded, "ra_opt_rdnss_in");
    const seen = await capture(guarded, "ra", 30, ROUTER_LL);
    await send(router, "ra-opt-rdnss-dstopt", { src: ROUTER_LL });
    expect(await seen.stop()).toBe(0);
    await waitUntil(
      "the guard's counter",
      async () => (await drops(guarded, "ra_opt_rdnss_in")) - before === 1,
      { timeoutMs: 10_000 },
    );
  });

  // Which control drops each shape: [kind, counter sets of the guarded VM, one of which moves].
  const FRAGMENTED = [
    // The RA header and a harmless option in the first fragment, RDNSS in the second. The bridge
    // reassembles them (br_netfilter) and forwards one datagram, its fragment header kept: the
    // port guard drops it as a link-local fragment (neighbor discovery is never fragmented,
    // RFC 6980) or, read whole, for its RDNSS option.
    ["ra-frag-opts", ["ra_opt_unverifiable_in", "ra_opt_rdnss_in"]],
    // The ICMPv6 header only in the second fragment (RFC 7112 violation): reassembly does not
    // take it, and the nftables check on fragments to the VM drops it before the port guard.
    ["ra-frag", ["frag_rejected_in"]],
  ] as const;

  for (const [kind, sets] of FRAGMENTED) {
    it(`a fragmented RA from the allowed router (${kind}) is not delivered: dropped and counted by ${sets.join(" or ")} (RFC 7112/7113)`, async () => {
      const total = async () => {
        const c = await counters(metald.url, guarded.vmId);
        return sets.reduce((sum, set) => sum + packets(c, set), 0);
      };
      const before = await total();
      const seen = await capture(guarded, "ra", 30, ROUTER_LL);
      expect(await send(router, kind, { src: ROUTER_LL })).toBeGreaterThan(1);
      expect(await seen.stop()).toBe(0);
      await waitUntil(
        `${kind} counted by ${sets.join(" or ")}`,
        async () => (await total()) > before,
        {
          timeoutMs: 10_000,
        },
      );
    });
  }

  it(`max_chain_length ${MAX_CHAIN}: ${MAX_CHAIN} headers to the VM delivered, ${MAX_CHAIN + 1} dropped and counted`, async () => {
    const before = await drops(guarded, "eh_chain_in");
    const seen = await capture(guarded, "chain", 15, peer.address, { expect: 1 });
    await send(peer, `chain-${MAX_CHAIN}`, { src: peer.address, dst: guarded.address });
    expect(await seen.result).toBe(1);
    const over = await capture(guarded, "chain", 30, peer.address);
    await send(peer, `chain-${MAX_CHAIN + 1}`, {
      src: peer.address,
      dst: guarded.address,
      count: 3,
    });
    expect(await over.stop()).toBe(0);
    await waitUntil(
      "the guard's counter",
      async () => (await drops(guarded, "eh_chain_in")) - before === 3,
      { timeoutMs: 10_000 },
    );
  });

  it(`max_chain_length ${MAX_CHAIN}: from the VM, ${MAX_CHAIN} headers delivered, ${MAX_CHAIN + 1} dropped and counted`, async () => {
    const before = await drops(guarded, "eh_chain");
    const seen = await capture(peer, "chain", 15, guarded.address, { expect: 1 });
    await send(guarded, `chain-${MAX_CHAIN}`, { src: guarded.address, dst: peer.address });
    expect(await seen.result).toBe(1);
    const over = await capture(peer, "chain", 30, guarded.address);
    await send(guarded, `chain-${MAX_CHAIN + 1}`, {
      src: guarded.address,
      dst: peer.address,
      count: 2,
    });
    expect(await over.stop()).toBe(0);
    await waitUntil(
      "the guard's counter",
      async () => (await drops(guarded, "eh_chain")) - before === 2,
      { timeoutMs: 10_000 },
    );
    // A VM without the setting receives the same long chain.
    const open = await capture(rdnssOnly, "chain", 15, peer.address, { expect: 1 });
    await send(peer, `chain-${MAX_CHAIN + 3}`, { src: peer.address, dst: rdnssOnly.address });
    expect(await open.result).toBe(1);
  });

  it("reports the guard's drops in GetVmEnforcement and the Prometheus metrics", async () => {
    const enforcement = (
      await postJson(`${metald.url}/vmprovisioner.v1.HostService/GetVmEnforcement`, {
        vm_id: guarded.vmId,
      })
    ).body as { counters: { set: string; packets: string }[] };
    const row = (set: string) => enforcement.counters.find((c) => c.set === set);
    expect(Number(row("eh_chain_in")?.packets)).toBeGreaterThanOrEqual(3);
    expect(Number(row("ra_opt_rdnss_in")?.packets)).toBeGreaterThanOrEqual(3);
    await waitUntil(
      "the guard's counter",
      async () => {
        const scrape = await (await fetch(metald.metricsUrl)).text();
        return (
          new RegExp(
            `metald_ipv6_extension_header_blocks_total\\{[^}]*vm_id="${guarded.vmId}"[^}]*header_type="chain_length"[^}]*\\} [1-9]`,
          ).test(scrape) &&
          new RegExp(
            `metald_ipv6_ra_guard_blocks_total\\{[^}]*vm_id="${guarded.vmId}"[^}]*\\} [1-9]`,
          ).test(scrape)
        );
      },
      { timeoutMs: 10_000 },
    );
  });

  it("after a restart the guard is rebuilt from the database and still drops", async () => {
    await metald.restart();
    const before = await drops(guarded, "eh_chain_in");
    const over = await capture(guarded, "chain", 30, peer.address);
    await send(peer, `chain-${MAX_CHAIN + 1}`, { src: peer.address, dst: guarded.address });
    expect(await over.stop()).toBe(0);
    await waitUntil(
      "the guard's counter",
      async () => (await drops(guarded, "eh_chain_in")) - before === 1,
      { timeoutMs: 10_000 },
    );
  });

  it("UpdateVmNetworkSecurity lifts the limit: the same chain is then delivered", async () => {
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/UpdateVmNetworkSecurity`, {
      vm_id: guarded.vmId,
      security: { extension_headers: { max_chain_length: 0 } },
    });
    expect(res.status).toBe(200);
    const seen = await capture(guarded, "chain", 15, peer.address, { expect: 1 });
    await send(peer, `chain-${MAX_CHAIN + 1}`, { src: peer.address, dst: guarded.address });
    expect(await seen.result).toBe(1);
  });
});
