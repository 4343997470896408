// Reads the kernel's per-VM counters every interval and raises an event for each control that
// dropped packets since the last reading (see eventsFromCounters), naming the sources the
// kernel's packet samples saw for that VM and control.
import {
  countersOf,
  eventsFromCounters,
  type PortCounters,
  type SampleAggregator,
  type SampleSummary,
  tapName,
} from "@metald/core";
import type { FastifyBaseLogger } from "fastify";
import type { VmView } from "../vm/vm-provisioner.js";
import type { EventPipeline } from "./event-pipeline.js";

export interface CounterEventPollerOptions {
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
    const readings = vms.map((vm) => {
      const keys = vm.spec.interfaces.flatMap((iface, i) => [
        tapName(vm.record.id, i),
        ...iface.addresses.map((a) => a.address),
      ]);
      const days = vm.effective[0]?.policy.compliance.dataRetentionDays;
      if (days !== undefined) retention.set(vm.record.id, days);
      const counts: Record<string, number> = {};
      for (const [set, c] of Object.entries(countersOf(counters, keys))) counts[set] = c.packets;
      return { vmId: vm.record.id, customerId: vm.record.tenantId, counts };
    });
    const events = eventsFromCounters(readings, previous).map((e) => {
      const summary = options.samples.take(e.vmId, e.set);
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
