import { type PacketCount, type PortCounters, tapName } from "@metald/core";
import { Registry } from "prom-client";
import { expect, it } from "vitest";
import type { VmView } from "../vm/vm-provisioner.js";
import { registerEnforcementMetrics } from "./enforcement-metrics.js";

const vm = (id: string, address: string) =>
  ({
    record: { id, tenantId: "acme" },
    spec: { interfaces: [{ id: "eth0", addresses: [{ address }] }] },
  }) as unknown as VmView;

const count = (packets: number) => ({ packets, bytes: packets * 100 });

it("exports the burst allowance used per VM without bringing the VM's drop series along", async () => {
  const registry = new Registry();
  const counters: PortCounters = new Map<string, Record<string, PacketCount>>([
    // Used its burst, dropped nothing.
    [tapName("vm-a", 0), { rl_pps_burst: count(12), rl_pps_drops: count(0), ra_guard: count(0) }],
    // Used its burst and went over its limit.
    [tapName("vm-b", 0), { rl_pps_burst: count(3), rl_pps_drops: count(40) }],
    // A pps limit, never used its burst.
    [tapName("vm-c", 0), { rl_pps_burst: count(0), rl_pps_drops: count(0) }],
  ]);
  registerEnforcementMetrics({
    registry,
    readCounters: async () => counters,
    liveVms: async () => [
      vm("vm-a", "2001:db8::a"),
      vm("vm-b", "2001:db8::b"),
      vm("vm-c", "2001:db8::c"),
    ],
  });
  const metrics = await registry.getMetricsAsJSON();
  const values = (name: string) =>
    (metrics.find((m) => m.name === name)?.values ?? []).map((v) => [v.labels.vm_id, v.value]);
  expect(values("metald_ipv6_burst_allowance_used_total")).toEqual([
    ["vm-a", 12],
    ["vm-b", 3],
  ]);
  expect(
    values("metald_ipv6_rate_limit_violations_total").filter(([, value]) => value !== 0),
  ).toEqual([["vm-b", 40]]);
  expect(new Set(values("metald_ipv6_ra_guard_blocks_total").map(([id]) => id))).toEqual(
    new Set(["vm-b"]),
  );
});
