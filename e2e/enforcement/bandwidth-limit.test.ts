// Real traffic against rate_limits.max_bandwidth_per_vm: the bridge's byte token bucket on
// frames from the VM's port. iperf3 TCP from a VM limited to 20 Mbit/s (2,500,000 bytes/s, the
// default 100 ms burst) and from an identical VM without a limit, to the same receiver. The
// limited flow's goodput must land within ±15 % of the limit and its drops are counted in
// rl_bandwidth_drops; the unlimited flow must run far above the limit. The bucket counts the
// length of each buffer crossing the bridge: with segmentation offload on the veth pair a
// buffer is many segments under one set of headers, so goodput comes close to the limit
// (20.1-20.5 Mbit/s measured). The first second is left out: the kernel's byte bucket starts
// full and holds rate + burst bytes (nft_limit), a second and a tenth of traffic here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  counters,
  createGuest,
  type Guest,
  packets,
  waitForAddresses,
} from "./sandbox-guests.js";
import { tcpThroughput } from "./tcp-throughput.js";

const LIMIT_BITS = 20_000_000;
const LIMIT_BYTES = LIMIT_BITS / 8;

describe.runIf(canSendRealPackets)("bandwidth limit with real traffic (sandbox)", () => {
  let metald: MetaldProcess;
  let limited: Guest;
  let free: Guest;
  let receiver: Guest;

  // Profile LOW sets no packet-rate limit, so only the bandwidth limit can shape the flow.
  const guest = (address: string, rateLimits: Record<string, unknown> = {}) =>
    createGuest(metald.url, address, {
      tenant_id: "bandwidth",
      ipv6_config: {
        addresses: [`${address}/64`],
        security: { profile: "SECURITY_PROFILE_LOW", rate_limits: rateLimits },
      },
    });

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    limited = await guest("2001:db8:bd::1", { max_bandwidth_per_vm: LIMIT_BYTES });
    free = await guest("2001:db8:bd::2");
    receiver = await guest("2001:db8:bd::3");
    for (const g of [limited, free, receiver]) await waitForAddresses(g);
  }, 60_000);

  afterAll(async () => {
    for (const g of [limited, free, receiver]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  it("holds a TCP flow from the limited VM to the limit (±15 %) and counts the drops", async () => {
    const before = packets(await counters(metald.url, limited.vmId), "rl_bandwidth_drops");
    const bps = await tcpThroughput(limited, receiver, { seconds: 5, omitSeconds: 1 });
    console.info(`limited to ${LIMIT_BITS / 1e6} Mbit/s: ${(bps / 1e6).toFixed(1)} Mbit/s`);
    expect(bps).toBeGreaterThan(LIMIT_BITS * 0.85);
    expect(bps).toBeLessThan(LIMIT_BITS * 1.15);
    expect(
      packets(await counters(metald.url, limited.vmId), "rl_bandwidth_drops") - before,
    ).toBeGreaterThan(0);
  });

  it("lets the same flow from a VM without the limit run far above it, with no drop counted", async () => {
    const bps = await tcpThroughput(free, receiver, { seconds: 3, omitSeconds: 1 });
    console.info(`without a limit: ${(bps / 1e6).toFixed(1)} Mbit/s`);
    expect(bps).toBeGreaterThan(LIMIT_BITS * 5);
    expect(packets(await counters(metald.url, free.vmId), "rl_bandwidth_drops")).toBe(0);
  });
});
