// Real traffic against the stateful half: the rule language (ingress and egress lists, with
// return traffic), connection limits, and ND and ICMPv6 rate limits. Each check looks at what
// the other side got and at the counter of the control that acted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "../harness/curl-like.js";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import {
  canSendRealPackets,
  capture,
  connectTcp,
  counters,
  createGuest,
  type Guest,
  inGuest,
  listenTcp,
  packets,
  ping,
  send,
  waitForAddresses,
} from "./sandbox-guests.js";

describe.skipIf(!canSendRealPackets)(
  "stateful rules and rate limits with real traffic (sandbox)",
  () => {
    let metald: MetaldProcess;
    let server: Guest;
    let client: Guest;
    let limited: Guest;
    let stopListeners: () => void = () => undefined;

    const guest = (address: string, config: Record<string, unknown>) =>
      createGuest(metald.url, address, { tenant_id: "rules", ...config });

    /**
     * Sends 300 packets of `kind` from a guest to the server and checks that each arrived or
     * was counted by one of `limits` (each limit may take its share). The counters are the
     * port's, so they may also hold what the guest sent of its own over a limit meanwhile
     * (seen: a router solicitation of the kernel's backoff, the advertisement answering the
     * server's solicitation): its own capture bounds that. Returns the drops per limit.
     */
    const floodIsAccounted = async (from: Guest, kind: "echo" | "ns", limits: string[]) => {
      const drops = async () => {
        const c = await counters(metald.url, from.vmId);
        return limits.map((set) => packets(c, set));
      };
      const own = await capture(from, "own-other", 120, undefined, { except: kind });
      const before = await drops();
      const seen = await capture(server, kind, 120, from.address);
      const target = kind === "ns" ? { target: server.address } : { dst: server.address };
      const sent = await send(from, kind, { src: from.address, ...target, count: 300 });
      const dropped = (await drops()).map((n, i) => n - (before[i] ?? 0));
      const received = await seen.stop();
      const total = received + dropped.reduce((a, b) => a + b, 0);
      expect(sent).toBe(300);
      expect(received).toBeLessThan(sent);
      expect(total).toBeGreaterThanOrEqual(sent);
      expect(total).toBeLessThanOrEqual(sent + (await own.stop()));
      return dropped;
    };

    beforeAll(async () => {
      metald = await startMetald("pglite", { driver: "sandbox" });
      server = await guest("2001:db8:f::5", {
        network: [
          {
            id: "eth0",
            ipv6: { address: "2001:db8:f::5/64" },
            security_policy: {
              ingress_rules: [
                "allow tcp from any to any port 80",
                "allow icmpv6 type echo-request from any to any",
                "deny all from any to any",
              ],
            },
          },
        ],
      });
      client = await guest("2001:db8:f::6", {
        network: [
          {
            id: "eth0",
            ipv6: { address: "2001:db8:f::6/64", security: { icmpv6_rate_limit: 50 } },
            security_policy: {
              egress_rules: [
                "allow tcp from any to any port 80,8080",
                "allow icmpv6 from any to any",
                "deny all from any to any",
              ],
            },
          },
        ],
      });
      limited = await guest("2001:db8:f::7", {
        ipv6_config: {
          addresses: ["2001:db8:f::7/64"],
          security: {
            profile: "SECURITY_PROFILE_HIGH",
            rate_limits: { max_connections_per_vm: 3 },
          },
        },
      });
      for (const guest of [server, client, limited]) await waitForAddresses(guest);
      stopListeners = await listenTcp(server, [80, 8080, 22]);
    }, 60_000);

    afterAll(async () => {
      stopListeners();
      for (const guest of [server, client, limited]) {
        if (guest)
          await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, {
            vm_id: guest.vmId,
          });
      }
      await metald?.destroy();
    });

    it("allows what both sides' rules allow, with return traffic (TCP to port 80, ping)", async () => {
      expect(await connectTcp(client, server.address, 80)).toBe(1);
      const out = await ping(client, server.address, 2, 2);
      expect(out).toBe(2);
    });

    it("drops what the sender's egress rules do not allow, counted on the sender", async () => {
      const before = packets(await counters(metald.url, client.vmId), "egress_default_drop");
      expect(await connectTcp(client, server.address, 22, 1, 1.5)).toBe(0);
      expect(
        packets(await counters(metald.url, client.vmId), "egress_default_drop"),
      ).toBeGreaterThan(before);
    });

    it("drops what the receiver's ingress rules do not allow, counted on the receiver", async () => {
      const before = packets(await counters(metald.url, server.vmId), "ingress_default_drop");
      expect(await connectTcp(client, server.address, 8080, 1, 1.5)).toBe(0);
      expect(
        packets(await counters(metald.url, server.vmId), "ingress_default_drop"),
      ).toBeGreaterThan(before);
    });

    it("UpdateSecurityPolicy changes the live enforcement: opening port 8080 lets the connection through", async () => {
      const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/UpdateSecurityPolicy`, {
        vm_id: server.vmId,
        security_policy: {
          ingress_rules: [
            "allow tcp from any to any port 80,8080",
            "allow icmpv6 type echo-request from any to any",
            "deny all from any to any",
          ],
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(await connectTcp(client, server.address, 8080)).toBe(1);
    });

    it("allowed_destinations: a VM reaches listed destinations only, drops counted", async () => {
      const d = await guest("2001:db8:f1::1", {
        network: [
          {
            id: "eth0",
            ipv6: { address: "2001:db8:f1::1/64" },
            security_policy: { allowed_destinations: ["2001:db8:f::5/128"] },
          },
        ],
      });
      try {
        await waitForAddresses(d);
        // Two prefixes on one bridge: routes on-link both ways.
        await inGuest(d, "ip", ["-6", "route", "add", "2001:db8:f::/64", "dev", "eth0"]);
        for (const g of [server, client])
          await inGuest(g, "ip", ["-6", "route", "replace", "2001:db8:f1::/64", "dev", "eth0"]);
        const allowed = await ping(d, server.address, 2, 2);
        expect(allowed).toBe(2);
        const before = packets(await counters(metald.url, d.vmId), "destination_drops");
        const denied = await ping(d, client.address, 2, 1);
        expect(denied).toBe(0);
        expect(packets(await counters(metald.url, d.vmId), "destination_drops") - before).toBe(2);
      } finally {
        await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: d.vmId });
      }
    });

    it("max_pps_per_vm: a flood beyond the VM's packet rate is cut, every echo delivered or counted as dropped", async () => {
      const flooder = await guest("2001:db8:f::8", {
        ipv6_config: {
          addresses: ["2001:db8:f::8/64"],
          security: {
            profile: "SECURITY_PROFILE_CUSTOM",
            source_validation: { source_guard: true },
            rate_limits: { max_pps_per_vm: 50, burst_config: { burst_packets: 10 } },
          },
        },
      });
      try {
        await waitForAddresses(flooder);
        const [dropped] = await floodIsAccounted(flooder, "echo", ["rl_pps_drops"]);
        expect(dropped).toBeGreaterThan(200);
      } finally {
        await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, {
          vm_id: flooder.vmId,
        });
      }
    });

    it("block_private_addresses: no traffic to unique-local addresses outside the VM's own prefix", async () => {
      const ula = await guest("fd00:bad::1", {
        network: [{ id: "eth0", ipv6: { address: "fd00:bad::1/64" } }],
      });
      const guarded = await guest("2001:db8:f::9", {
        ipv6_config: {
          addresses: ["2001:db8:f::9/64"],
          security: { source_validation: { block_private_addresses: true } },
        },
      });
      try {
        for (const g of [ula, guarded]) await waitForAddresses(g);
        await inGuest(guarded, "ip", ["-6", "route", "add", "fd00:bad::/64", "dev", "eth0"]);
        await inGuest(ula, "ip", ["-6", "route", "add", "2001:db8:f::/64", "dev", "eth0"]);
        const before = packets(await counters(metald.url, guarded.vmId), "private_drops");
        expect(await ping(guarded, ula.address, 2, 1)).toBe(0);
        expect(packets(await counters(metald.url, guarded.vmId), "private_drops") - before).toBe(2);
        expect(await ping(guarded, server.address)).toBe(2);
      } finally {
        for (const g of [ula, guarded]) {
          await postJson(`${metald.url}/vmprovisioner.v1.VmService/DeleteVm`, { vm_id: g.vmId });
        }
      }
    });

    it("refuses connections past max_connections_per_vm and counts them", async () => {
      const before = packets(await counters(metald.url, limited.vmId), "conn_limit_drops");
      expect(await connectTcp(limited, server.address, 80, 6, 1.5)).toBe(3);
      expect(
        packets(await counters(metald.url, limited.vmId), "conn_limit_drops"),
      ).toBeGreaterThanOrEqual(before + 3);
    });

    it("limits a neighbor-solicitation flood to nd_rate_limit: every solicitation arrives or is counted as dropped", async () => {
      // A solicitation is neighbor discovery, ICMPv6 and multicast: each limit may take its share.
      const limits = ["rl_nd_drops", "rl_icmpv6_drops", "rl_multicast_drops"];
      const [ndDrops] = await floodIsAccounted(limited, "ns", limits);
      expect(ndDrops).toBeGreaterThan(0);
    });

    it("limits an ICMPv6 flood to icmpv6_rate_limit: every echo arrives or is counted as dropped", async () => {
      const [dropped] = await floodIsAccounted(client, "echo", ["rl_icmpv6_drops"]);
      expect(dropped).toBeGreaterThan(0);
    });
  },
);
