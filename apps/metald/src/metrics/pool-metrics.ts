// Address pool metrics, read from the database at scrape time: utilization per pool (the
// guide's metald_ipv6_pool_utilization) and allocations in the last hour.
import { parsePoolPrefix, utilization } from "@metald/core";
import type { PoolRepository } from "@metald/db";
import { Gauge, type Registry } from "prom-client";

export function registerPoolMetrics(registry: Registry, pools: PoolRepository): void {
  let reading: ReturnType<PoolRepository["list"]> | undefined;
  // Both gauges are collected in one scrape: read the pools once for them.
  const read = () => {
    reading ??= pools.list().finally(() => {
      setImmediate(() => {
        reading = undefined;
      });
    });
    return reading;
  };
  new Gauge({
    name: "metald_ipv6_pool_utilization",
    help: "Fraction of a pool's addresses allocated",
    labelNames: ["pool_id"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await read())
        this.set({ pool_id: p.id }, utilization(parsePoolPrefix(p.prefix), p.allocated));
    },
  });
  new Gauge({
    name: "metald_ipv6_allocations_per_hour",
    help: "Addresses allocated from a pool in the last hour",
    labelNames: ["pool_id"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of await read()) this.set({ pool_id: p.id }, p.allocatedLastHour);
    },
  });
}
