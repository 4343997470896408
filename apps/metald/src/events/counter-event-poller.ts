// Reads the kernel's per-VM counters every interval and stores an event for each control that
// dropped packets since the last reading (see eventsFromCounters).
import { countersOf, eventsFromCounters, type PortCounters, tapName } from "@metald/core";
import type { SecurityEventRepository } from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import type { VmView } from "../vm/vm-provisioner.js";

export interface CounterEventPollerOptions {
  readCounters: () => Promise<PortCounters>;
  liveVms: () => Promise<VmView[]>;
  repository: SecurityEventRepository;
  eventId: () => string;
  intervalMs: number;
  logger: FastifyBaseLogger;
}

export interface CounterEventPoller {
  pollOnce(): Promise<number>;
  stop(): void;
}

export function startCounterEventPoller(options: CounterEventPollerOptions): CounterEventPoller {
  const previous = new Map<string, number>();
  let running: Promise<number> | undefined;

  async function poll(): Promise<number> {
    const [vms, counters] = await Promise.all([options.liveVms(), options.readCounters()]);
    const readings = vms.map((vm) => {
      const keys = vm.spec.interfaces.flatMap((iface, i) => [
        tapName(vm.record.id, i),
        ...iface.addresses.map((a) => a.address),
      ]);
      const counts: Record<string, number> = {};
      for (const [set, c] of Object.entries(countersOf(counters, keys))) counts[set] = c.packets;
      return { vmId: vm.record.id, customerId: vm.record.tenantId, counts };
    });
    const now = new Date();
    const events = eventsFromCounters(readings, previous).map((e) => ({
      id: options.eventId(),
      timestamp: now,
      vmId: e.vmId,
      customerId: e.customerId,
      eventType: e.eventType,
      severity: e.severity,
      sourceIp: null,
      description: e.description,
      details: { control: e.set, packets: e.count },
      count: e.count,
    }));
    await options.repository.insert(events);
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
