import { expect, it } from "vitest";
import { eventsFromCounters } from "./counter-events.js";

it("raises one event per VM and control per interval, carrying the packet count", () => {
  const previous = new Map<string, number>();
  const first = eventsFromCounters(
    [
      {
        vmId: "vm-a",
        customerId: "acme",
        counts: { ra_guard: 100_000, vm_sources: 5, source_guard: 0 },
      },
    ],
    previous,
  );
  expect(first).toEqual([
    expect.objectContaining({
      vmId: "vm-a",
      customerId: "acme",
      eventType: "ra_guard_block",
      severity: "warning",
      count: 100_000,
    }),
  ]);
  expect(
    eventsFromCounters(
      [{ vmId: "vm-a", customerId: "acme", counts: { ra_guard: 100_000 } }],
      previous,
    ),
  ).toEqual([]);
  const later = eventsFromCounters(
    [{ vmId: "vm-a", customerId: "acme", counts: { ra_guard: 100_010, source_guard: 3 } }],
    previous,
  );
  expect(later.map((e) => [e.eventType, e.count])).toEqual([
    ["ra_guard_block", 10],
    ["source_spoofing", 3],
  ]);
});

it("counts from zero again when a counter was rebuilt", () => {
  const previous = new Map([["vm-a/rl_nd_drops", 50]]);
  const events = eventsFromCounters(
    [{ vmId: "vm-a", customerId: "acme", counts: { rl_nd_drops: 7 } }],
    previous,
  );
  expect(events).toEqual([
    expect.objectContaining({ eventType: "nd_rate_limit_exceeded", count: 7 }),
  ]);
});
