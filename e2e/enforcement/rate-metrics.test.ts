// The rate gauges with real packets in sandbox mode: a flood over a VM's max_pps_per_vm shows in
// metald_ipv6_rate_limit_current_rate (packets/s over the limit, from two consecutive counter
// readings) while it lasts and falls back to zero after it; a rogue router advertisement flood
// shows in metald_ipv6_ra_guard_violations_rate (per minute). promtool accepts the scrape with
// the series present, and a deleted VM's series leave with it. A burst within the pps limit's
// burst allowance shows in metald_ipv6_burst_allowance_used_total, exactly as the kernel
// counted it.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  counters,
  createGuest,
  type Guest,
  packets,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

const PPS_LIMIT = 50;
/** A slow sustained rate, so that a burst sent at once is far quicker than one token's refill. */
const BURSTER_PPS = 5;
const BURSTER_BURST = 10;

describe.runIf(canSendRealPackets)("rate gauges from consecutive counter readings", () => {
  let metald: MetaldProcess;
  let flooder: Guest;
  let rogue: Guest;
  let burster: Guest;

  const scrape = async () => (await fetch(metald.metricsUrl)).text();
  /** A gauge's value for these labels, or undefined while it has no such series. */
  const gauge = async (metric: string, labels: string) => {
    const match = new RegExp(`^${metric}\\{${labels}\\} (\\S+)$`, "m").exec(await scrape());
    return match?.[1] === undefined ? undefined : Number(match[1]);
  };
  /** Sends `kind` in batches until `stop` is called, so a reading always falls inside the flood. */
  const flood = (guest: Guest, kind: string, options: { src: string; dst?: string }) => {
    let flooding = true;
    const done = (async () => {
      while (flooding) await send(guest, kind, { ...options, count: 500 });
    })();
    return async () => {
      flooding = false;
      await done;
    };
  };

  beforeAll(async () => {
    metald = await startMetald("pglite", { driver: "sandbox" });
    flooder = await createGuest(metald.url, "2001:db8:fa::8", {
      tenant_id: "rates",
      ipv6_config: {
        addresses: ["2001:db8:fa::8/64"],
        security: {
          profile: "SECURITY_PROFILE_CUSTOM",
          source_validation: { source_guard: true },
          rate_limits: { max_pps_per_vm: PPS_LIMIT, burst_config: { burst_packets: 10 } },
        },
      },
    });
    rogue = await createGuest(metald.url, "2001:db8:fa::9", {
      tenant_id: "rates",
      network: [{ id: "eth0", ipv6: { address: "2001:db8:fa::9/64", security: {} } }],
    });
    burster = await createGuest(metald.url, "2001:db8:fa::a", {
      tenant_id: "rates",
      ipv6_config: {
        addresses: ["2001:db8:fa::a/64"],
        security: {
          profile: "SECURITY_PROFILE_CUSTOM",
          source_validation: { source_guard: true },
          rate_limits: {
            max_pps_per_vm: BURSTER_PPS,
            burst_config: { burst_packets: BURSTER_BURST },
          },
        },
      },
    });
    for (const g of [flooder, rogue, burster]) await waitForAddresses(g);
  }, 60_000);

  afterAll(async () => {
    for (const g of [flooder, rogue, burster]) {
      if (g) await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
    }
    await metald?.destroy();
  });

  it("a burst sent at once: what the pps limiter passed over the sustained rate is counted as burst allowance used, and exported as the kernel counted it", async () => {
    const before = await counters(metald.url, burster.vmId);
    const sent = await send(burster, "echo", {
      src: burster.address,
      dst: "2001:db8:fa::1",
      count: 3 * BURSTER_BURST,
    });
    const after = await counters(metald.url, burster.vmId);
    const used = packets(after, "rl_pps_burst") - packets(before, "rl_pps_burst");
    const dropped = packets(after, "rl_pps_drops") - packets(before, "rl_pps_drops");
    // Sent within one token's refill (200 ms): the limiter passes what its bucket holds and
    // drops the rest; of what it passed, the sustained-rate bucket (one packet) lets at most one
    // through, and every other passed packet was paid for by the burst allowance.
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(BURSTER_BURST);
    expect(sent - used - dropped).toBeGreaterThanOrEqual(0);
    expect(sent - used - dropped).toBeLessThanOrEqual(1);
    await expect
      .poll(
        async () => {
          const match = new RegExp(
            `^metald_ipv6_burst_allowance_used_total\\{vm_id="${burster.vmId}",customer_id="rates"\\} (\\d+)$`,
            "m",
          ).exec(await scrape());
          return match ? Number(match[1]) : undefined;
        },
        { timeout: 15_000, interval: 100 },
      )
      .toBe(packets(after, "rl_pps_burst"));
  });

  it("a flood over max_pps_per_vm raises metald_ipv6_rate_limit_current_rate above the limit while it lasts, then zero", async () => {
    const labels = `vm_id="${flooder.vmId}",limit_type="pps"`;
    const stop = flood(flooder, "echo", { src: flooder.address, dst: "2001:db8:fa::1" });
    try {
      // Sent as fast as scapy goes (thousands per second) against a limit of 50/s: what the
      // limiter drops per second is far above the limit itself.
      await expect
        .poll(() => gauge("metald_ipv6_rate_limit_current_rate", labels), {
          timeout: 30_000,
          interval: 100,
        })
        .toBeGreaterThan(PPS_LIMIT);
    } finally {
      await stop();
    }
    await expect
      .poll(() => gauge("metald_ipv6_rate_limit_current_rate", labels), {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(0);
  });

  it("a rogue router advertisement flood raises metald_ipv6_ra_guard_violations_rate above zero", async () => {
    const labels = `vm_id="${rogue.vmId}",customer_id="rates"`;
    const stop = flood(rogue, "ra-plain", { src: rogue.linkLocal });
    try {
      await expect
        .poll(() => gauge("metald_ipv6_ra_guard_violations_rate", labels), {
          timeout: 30_000,
          interval: 100,
        })
        .toBeGreaterThan(0);
      const check = spawnSync("promtool", ["check", "metrics"], { input: await scrape() });
      expect(check.status, check.stdout.toString() + check.stderr.toString()).toBe(0);
    } finally {
      await stop();
    }
  });

  it("drops a deleted VM's gauge series at once", async () => {
    const series = [
      `metald_ipv6_rate_limit_current_rate{vm_id="${flooder.vmId}"`,
      `metald_ipv6_ra_guard_violations_rate{vm_id="${rogue.vmId}"`,
    ];
    for (const s of series) expect(await scrape()).toContain(s);
    for (const g of [flooder, rogue]) {
      const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, {
        vm_id: g.vmId,
      });
      expect(res.status).toBe(200);
    }
    const text = await scrape();
    for (const s of series) expect(text).not.toContain(s);
  });
});
