// Reads the kernel's per-VM counters every interval and raises an event for each control that
// dropped packets since the last reading (see eventsFromCounters), naming the sources the
// kernel's packet samples saw for that VM and control.
import {
  type CounterReading,
  countersOf,
  eventsFromCounters,
  type PortCounters,
  recordsSecurityEvent,
  type SampleAggregator,
  type SampleSummary,
  type SecurityPolicy,
} from "@metald/core";
import type { FastifyBaseLogger } from "fastify";
import { counterKeysOf, countsAny } from "../vm/counter-keys.js";
import type { VmView } from "../vm/vm-provisioner.js";
import type { EventPipeline } from "./event-pipeline.js";

export interface CounterEventPollerOptions {
  /**
   * A fresh reading. It may leave out the keys that never counted anything (absent reads as
   * zero): a reading then costs in the VMs that dropped something, not in every VM.
   */
  readCounters: () => Promise<PortCounters>;
  liveVms: () => Promise<VmView[]>;
  pipeline: EventPipeline;
  samples: SampleAggregator;
  intervalMs: number;
  logger: FastifyBaseLogger;
  /** Each reading, with when it was taken (performance.now()): the rate gauges' input. */
  onReading?: (vms: VmView[], counters: PortCounters, atMs: number) => void;
}

export interface CounterEventPoller {
  pollOnce(): Promise<number>;
  stop(): void;
}

function sampleDetails(summary: SampleSummary | undefined): Record<string, unknown> {
  if (!summary) return { samples: 0 };
  return {
    samples: summary.samples,
    sampled_sources: summary.sources,
    other_sources: summary.otherSources,
    ...(summary.destinations[0] !== undefined && { destination_ip: summary.destinations[0] }),
    ...(summary.interfaces[0] !== undefined && { interface: summary.interfaces[0] }),
    ...(summary.extensionHeaders.length > 0 && { extension_headers: summary.extensionHeaders }),
    ...(summary.icmpv6Types.length > 0 && { icmpv6_types: summary.icmpv6Types }),
  };
}

export function startCounterEventPoller(options: CounterEventPollerOptions): CounterEventPoller {
  const previous = new Map<string, number>();
  /** VM → the sets of its last reading, for the VMs whose keys counted at the last poll. */
  let counting = new Map<string, string[]>();
  let running: Promise<number> | undefined;

  async function poll(): Promise<number> {
    const [vms, counters] = await Promise.all([options.liveVms(), options.readCounters()]);
    try {
      options.onReading?.(vms, counters, performance.now());
    } catch (error) {
      // The gauges miss one reading; the events of this one must still be raised.
      options.logger.error({ err: error }, "computing rates from a counter reading failed");
    }
    const retention = new Map<string, number>();
    const readings: CounterReading[] = [];
    // The monitoring settings of the VMs read, for which of their events are recorded.
    const policies = new Map<string, SecurityPolicy[]>();
    const nowCounting = new Map<string, string[]>();
    for (const vm of vms) {
      const vmId = vm.record.id;
      const keys = counterKeysOf(vm);
      const counts: Record<string, number> = {};
      if (countsAny(counters, keys)) {
        for (const [set, c] of Object.entries(countersOf(counters, keys))) counts[set] = c.packets;
        nowCounting.set(vmId, Object.keys(counts));
      } else {
        // Counted at the last poll, zero now (its elements were rebuilt): read as zeros, so
        // the next count starts from zero as it would with every key listed.
        const before = counting.get(vmId);
        if (!before) continue;
        for (const set of before) counts[set] = 0;
      }
      const days = vm.effective[0]?.policy.compliance.dataRetentionDays;
      if (days !== undefined) retention.set(vmId, days);
      readings.push({ vmId, customerId: vm.record.tenantId, counts });
      policies.set(
        vmId,
        vm.effective.map((e) => e.policy),
      );
    }
    counting = nowCounting;
    const events = eventsFromCounters(readings, previous).flatMap((e) => {
      // Taken either way: samples of an event not recorded must not wait for a later one.
      const summary = options.samples.take(e.vmId, e.set);
      if (!recordsSecurityEvent(policies.get(e.vmId) ?? [], e.severity)) return [];
      return {
        vmId: e.vmId,
        customerId: e.customerId,
        eventType: e.eventType,
        severity: e.severity,
        sourceIp: summary?.sources[0]?.ip ?? null,
        description: e.description,
        details: { control: e.set, packets: e.count, ...e.details, ...sampleDetails(summary) },
        count: e.count,
        retentionDays: retention.get(e.vmId),
      };
    });
    options.samples.endReading();
    options.pipeline.emit(events);
    await options.pipeline.flush();
    return events.length;
  }

  const pollOnce = () => {
    // One poll at a time: a slow database must not make readings overlap.
    running ??= poll().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    pollOnce().catch((error: unknown) =>
      options.logger.error({ err: error }, "reading enforcement counters failed"),
    );
  }, options.intervalMs);
  timer.unref();
  return { pollOnce, stop: () => clearInterval(timer) };
}
