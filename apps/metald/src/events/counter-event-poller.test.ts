import {
  createSampleAggregator,
  type PortCounters,
  resolvePolicy,
  type SecurityPolicy,
  tapName,
} from "@metald/core";
import type { FastifyBaseLogger } from "fastify";
import { expect, it } from "vitest";
import type { VmView } from "../vm/vm-provisioner.js";
import { startCounterEventPoller } from "./counter-event-poller.js";
import type { EventInput, EventPipeline } from "./event-pipeline.js";

const vm = (id: string, address: string) =>
  ({
    record: { id, tenantId: "acme" },
    spec: { interfaces: [{ id: "eth0", addresses: [{ address }] }] },
    effective: [],
  }) as unknown as VmView;

const count = (packets: number) => ({ packets, bytes: packets * 100 });

function collectingPipeline(emitted: EventInput[]): EventPipeline {
  return {
    emit: (events: EventInput[]) => emitted.push(...events),
    flush: async () => {},
  } as unknown as EventPipeline;
}

it("raises events from readings that leave out the VMs that never counted, counting from zero after a rebuild", async () => {
  const quiet = vm("vm-quiet", "2001:db8::1");
  const busy = vm("vm-busy", "2001:db8::2");
  const port = tapName("vm-busy", 0);
  const readings: PortCounters[] = [
    new Map(),
    new Map([[port, { source_guard: count(5), ra_guard: count(0) }]]),
    // The tables were rebuilt: every counter of vm-busy is zero, so the reading leaves it out.
    new Map(),
    new Map([[port, { source_guard: count(8), ra_guard: count(0) }]]),
  ];
  const emitted: EventInput[] = [];
  let polls = 0;
  const poller = startCounterEventPoller({
    readCounters: async () => readings[polls++] ?? new Map(),
    liveVms: async () => [quiet, busy],
    pipeline: collectingPipeline(emitted),
    samples: createSampleAggregator(),
    intervalMs: 3_600_000,
    logger: { error: () => {} } as unknown as FastifyBaseLogger,
  });
  try {
    expect(await poller.pollOnce()).toBe(0);
    expect(await poller.pollOnce()).toBe(1);
    expect(emitted[0]).toMatchObject({
      vmId: "vm-busy",
      eventType: "source_spoofing",
      count: 5,
    });
    expect(await poller.pollOnce()).toBe(0);
    // 8 after the rebuild are 8 new packets, not 3 more than the 5 before it.
    expect(await poller.pollOnce()).toBe(1);
    expect(emitted[1]).toMatchObject({ vmId: "vm-busy", eventType: "source_spoofing", count: 8 });
    expect(emitted.every((e) => e.vmId !== "vm-quiet")).toBe(true);
  } finally {
    poller.stop();
  }
});

it("records no event of a VM whose monitoring turns security logging off or keeps higher severities", async () => {
  const policy = (monitoring: Partial<SecurityPolicy["monitoring"]>) =>
    resolvePolicy({ profile: "HIGH", request: { monitoring } }).policy;
  const withPolicy = (id: string, address: string, p: SecurityPolicy) =>
    ({ ...vm(id, address), effective: [{ interfaceId: "eth0", policy: p }] }) as VmView;
  const silent = withPolicy("vm-silent", "2001:db8::3", policy({ enableSecurityLogging: false }));
  const errorsOnly = withPolicy("vm-errors", "2001:db8::4", policy({ securityLogLevel: "ERROR" }));
  const logged = withPolicy("vm-logged", "2001:db8::5", policy({}));
  const readings: PortCounters[] = [
    new Map([
      // source_guard raises a critical event, ra_guard a warning.
      [tapName("vm-silent", 0), { source_guard: count(2), ra_guard: count(0) }],
      [tapName("vm-errors", 0), { source_guard: count(3), ra_guard: count(4) }],
      [tapName("vm-logged", 0), { source_guard: count(0), ra_guard: count(6) }],
    ]),
  ];
  const emitted: EventInput[] = [];
  let polls = 0;
  const poller = startCounterEventPoller({
    readCounters: async () => readings[polls++] ?? new Map(),
    liveVms: async () => [silent, errorsOnly, logged],
    pipeline: collectingPipeline(emitted),
    samples: createSampleAggregator(),
    intervalMs: 3_600_000,
    logger: { error: () => {} } as unknown as FastifyBaseLogger,
  });
  try {
    await poller.pollOnce();
    expect(emitted.map((e) => [e.vmId, e.eventType, e.count]).sort()).toEqual([
      ["vm-errors", "source_spoofing", 3],
      ["vm-logged", "ra_guard_block", 6],
    ]);
  } finally {
    poller.stop();
  }
});
