import { type PortCounters, tapName } from "@metald/core";
import { Registry } from "prom-client";
import { expect, it } from "vitest";
import type { VmView } from "../vm/vm-provisioner.js";
import { registerRateMetrics } from "./rate-metrics.js";

const vm = (id: string, tenantId: string, address: string) =>
  ({
    record: { id, tenantId },
    spec: { interfaces: [{ id: "eth0", addresses: [{ address }] }] },
  }) as unknown as VmView;

const count = (packets: number, bytes = packets * 100) => ({ packets, bytes });

function reading(entries: [string, Record<string, { packets: number; bytes: number }>][]) {
  return new Map(entries) as PortCounters;
}

async function values(registry: Registry, name: string) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
}

it("turns two readings of a VM's drop counters into per-second rates, bandwidth in bytes", async () => {
  const registry = new Registry();
  const a = vm("vm-a", "acme", "2001:db8::a");
  const b = vm("vm-b", "acme", "2001:db8::b");
  let live = [a, b];
  const metrics = registerRateMetrics({ registry, liveVms: async () => live });
  const portA = tapName("vm-a", 0);
  const portB = tapName("vm-b", 0);
  metrics.record(
    live,
    reading([
      [
        portA,
        { rl_pps_drops: count(100), rl_bandwidth_drops: count(1, 1_500), ra_guard: count(0) },
      ],
      [portB, { rl_pps_drops: count(0), ra_guard: count(0) }],
    ]),
    1_000,
  );
  // One reading: no rates yet.
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([]);
  // vm-a was changed (a connection limit added): a new view of it.
  live = [vm("vm-a", "acme", "2001:db8::a"), b];
  metrics.record(
    live,
    reading([
      [
        portA,
        { rl_pps_drops: count(4_100), rl_bandwidth_drops: count(5, 7_500), ra_guard: count(6) },
      ],
      [portB, { rl_pps_drops: count(0), ra_guard: count(0) }],
      ["2001:db8::a", { conn_limit_drops: count(2) }],
    ]),
    3_000,
  );
  // vm-b never went over a limit: no series. vm-a's connection limit appeared with the change
  // before this reading: no rate for it yet.
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([
    { labels: { vm_id: "vm-a", limit_type: "pps" }, value: 2_000 },
    { labels: { vm_id: "vm-a", limit_type: "bandwidth" }, value: 3_000 },
  ]);
  expect(await values(registry, "metald_ipv6_ra_guard_violations_rate")).toEqual([
    { labels: { vm_id: "vm-a", customer_id: "acme" }, value: 180 },
  ]);
  // A quiet interval keeps the series at zero; a deleted VM's series go at once.
  metrics.record(
    live,
    reading([
      [
        portA,
        { rl_pps_drops: count(4_100), rl_bandwidth_drops: count(5, 7_500), ra_guard: count(6) },
      ],
      ["2001:db8::a", { conn_limit_drops: count(2) }],
    ]),
    5_000,
  );
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([
    { labels: { vm_id: "vm-a", limit_type: "pps" }, value: 0 },
    { labels: { vm_id: "vm-a", limit_type: "bandwidth" }, value: 0 },
    { labels: { vm_id: "vm-a", limit_type: "connections" }, value: 0 },
  ]);
  live = [b];
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([]);
  expect(await values(registry, "metald_ipv6_ra_guard_violations_rate")).toEqual([]);
});

it("reads a VM left out of the previous reading as zero when it did not change, and only then", async () => {
  const registry = new Registry();
  const quiet = vm("vm-q", "acme", "2001:db8::q");
  const created = vm("vm-n", "acme", "2001:db8::n");
  let live = [quiet];
  const metrics = registerRateMetrics({ registry, liveVms: async () => live });
  // The readings leave out keys that never counted: nothing of vm-q at first.
  metrics.record(live, reading([]), 1_000);
  live = [quiet, created];
  metrics.record(
    live,
    reading([
      [tapName("vm-q", 0), { rl_pps_drops: count(500), ra_guard: count(2) }],
      [tapName("vm-n", 0), { rl_pps_drops: count(300) }],
    ]),
    3_000,
  );
  // vm-q was there, unchanged, and absent: it had counted zero. vm-n is new: no rate yet.
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([
    { labels: { vm_id: "vm-q", limit_type: "pps" }, value: 250 },
  ]);
  expect(await values(registry, "metald_ipv6_ra_guard_violations_rate")).toEqual([
    { labels: { vm_id: "vm-q", customer_id: "acme" }, value: 60 },
  ]);
  metrics.record(
    live,
    reading([
      [tapName("vm-q", 0), { rl_pps_drops: count(500), ra_guard: count(2) }],
      [tapName("vm-n", 0), { rl_pps_drops: count(700) }],
    ]),
    5_000,
  );
  expect(await values(registry, "metald_ipv6_rate_limit_current_rate")).toEqual([
    { labels: { vm_id: "vm-q", limit_type: "pps" }, value: 0 },
    { labels: { vm_id: "vm-n", limit_type: "pps" }, value: 200 },
  ]);
});
