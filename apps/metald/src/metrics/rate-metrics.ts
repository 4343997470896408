// Rate gauges computed from two consecutive readings of the kernel's per-VM counters (the event
// poller's, every METALD_EVENT_POLL_MS): the kernel keeps totals, not rates, and a rate taken
// between the poller's readings does not depend on how often, or by how many, it is scraped.
// A VM has series once it went over one of its limits (or its RA guard dropped something)
// since the tables were built, as the counter metrics do: a series per VM and limit whether or
// not it ever counted would put every VM on every scrape.
import {
  type CounterSnapshot,
  counterRates,
  countersOf,
  type LimitType,
  limitDropTotals,
  type PortCounters,
  raGuardDropTotal,
} from "@metald/core";
import { Gauge, type Registry } from "prom-client";
import { counterKeysOf, countsAny } from "../vm/counter-keys.js";
import type { VmView } from "../vm/vm-provisioner.js";

export interface RateMetricsOptions {
  registry: Registry;
  /** Every live VM: a deleted VM's series leave with it, not at the next reading. */
  liveVms: () => Promise<VmView[]>;
}

export interface RateMetrics {
  /**
   * One reading of the counters of `vms`, taken at `atMs` (a monotonic clock). `counters` may
   * leave out the keys that never counted (absent reads as zero), so that a reading costs in
   * the VMs that dropped something.
   */
  record(vms: VmView[], counters: PortCounters, atMs: number): void;
}

type Sample = { labels: Record<string, string>; value: number };

const key = (vmId: string, what: LimitType | "ra_guard") => `${vmId}\t${what}`;

/**
 * The previous reading with a zero for each of `keys` it left out. The readings leave a VM out
 * while nothing of it counted; a VM whose view is the same object as at the previous reading
 * had the same elements then (a change replaces the view), so absent there meant zero. A VM
 * created or changed since gets no rate until its second reading, as with full readings.
 */
function zeroFilled(
  previous: CounterSnapshot | undefined,
  keys: readonly string[],
): CounterSnapshot | undefined {
  if (!previous) return undefined;
  const missing = keys.filter((k) => !previous.totals.has(k));
  if (missing.length === 0) return previous;
  const filled = new Map(previous.totals);
  for (const k of missing) filled.set(k, 0);
  return { atMs: previous.atMs, totals: filled };
}

export function registerRateMetrics(options: RateMetricsOptions): RateMetrics {
  let limits: CounterSnapshot | undefined;
  let raGuard: CounterSnapshot | undefined;
  let limitSamples = new Map<string, Sample[]>();
  let raSamples = new Map<string, Sample>();
  /** The views of the VMs at the previous reading (see zeroFilled). */
  let previousViews = new Set<VmView>();

  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    samples: () => Iterable<[string, Sample]>,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [options.registry],
      async collect() {
        const live = new Set((await options.liveVms()).map((vm) => vm.record.id));
        this.reset();
        for (const [vmId, s] of samples()) if (live.has(vmId)) this.set(s.labels, s.value);
      },
    });
  gauge(
    "metald_ipv6_rate_limit_current_rate",
    "Traffic over the VM's rate limit that the limiter dropped, per second over the last counter reading interval: bytes/s for bandwidth, packets/s for every other limit_type (for connections: packets of new connections refused)",
    ["vm_id", "limit_type"],
    function* () {
      for (const [vmId, list] of limitSamples) for (const s of list) yield [vmId, s];
    },
  );
  gauge(
    "metald_ipv6_ra_guard_violations_rate",
    "Rate of RA Guard violations per minute (packets the RA guard dropped, over the last counter reading interval)",
    ["vm_id", "customer_id"],
    () => raSamples.entries(),
  );

  return {
    record(vms, counters, atMs) {
      const limitTotals = new Map<string, number>();
      const raTotals = new Map<string, number>();
      const byVm = new Map<string, { vm: VmView; limits: Map<LimitType, number>; ra?: number }>();
      // Keys of unchanged VMs that count now: absent from the previous reading means zero.
      const unchangedLimitKeys: string[] = [];
      const unchangedRaKeys: string[] = [];
      for (const vm of vms) {
        const vmId = vm.record.id;
        const keys = counterKeysOf(vm);
        // Nothing counted: no totals above zero, so no series (see the module comment).
        if (!countsAny(counters, keys)) continue;
        const counts = countersOf(counters, keys);
        const unchanged = previousViews.has(vm);
        const vmLimits = limitDropTotals(counts);
        for (const [limit, total] of vmLimits) {
          limitTotals.set(key(vmId, limit), total);
          if (unchanged) unchangedLimitKeys.push(key(vmId, limit));
        }
        const ra = raGuardDropTotal(counts);
        if (ra !== undefined) {
          raTotals.set(key(vmId, "ra_guard"), ra);
          if (unchanged) unchangedRaKeys.push(key(vmId, "ra_guard"));
        }
        byVm.set(vmId, { vm, limits: vmLimits, ra });
      }
      const current = { atMs, totals: limitTotals };
      const currentRa = { atMs, totals: raTotals };
      const limitRates = counterRates(zeroFilled(limits, unchangedLimitKeys), current);
      const raRates = counterRates(zeroFilled(raGuard, unchangedRaKeys), currentRa, 60_000);
      previousViews = new Set(vms);
      limits = current;
      raGuard = currentRa;

      const nextLimits = new Map<string, Sample[]>();
      const nextRa = new Map<string, Sample>();
      for (const [vmId, { vm, limits: vmLimits, ra }] of byVm) {
        if ([...vmLimits.values()].some((total) => total > 0)) {
          const list: Sample[] = [];
          for (const limit of vmLimits.keys()) {
            const rate = limitRates.get(key(vmId, limit));
            if (rate !== undefined)
              list.push({ labels: { vm_id: vmId, limit_type: limit }, value: rate });
          }
          if (list.length > 0) nextLimits.set(vmId, list);
        }
        const raRate = raRates.get(key(vmId, "ra_guard"));
        if (ra !== undefined && ra > 0 && raRate !== undefined)
          nextRa.set(vmId, {
            labels: { vm_id: vmId, customer_id: vm.record.tenantId },
            value: raRate,
          });
      }
      limitSamples = nextLimits;
      raSamples = nextRa;
    },
  };
}
