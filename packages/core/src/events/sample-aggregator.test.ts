import { expect, it } from "vitest";
import { createSampleAggregator } from "./sample-aggregator.js";

it("names the most frequent sources of a VM's drops and keeps memory bounded under a spoofed flood", () => {
  const agg = createSampleAggregator({ maxSourcesPerKey: 4 });
  for (let i = 0; i < 10; i++)
    agg.record({ vmId: "vm-a", control: "ra_guard", sourceIp: "fe80::1" });
  for (let i = 0; i < 1_000; i++)
    agg.record({ vmId: "vm-a", control: "ra_guard", sourceIp: `2001:db8::${i.toString(16)}` });
  agg.record({
    vmId: "vm-a",
    control: "ra_guard",
    extensionHeaders: ["dst", "frag"],
    icmpv6Type: 134,
  });
  const summary = agg.take("vm-a", "ra_guard");
  expect(summary?.samples).toBe(1_011);
  expect(summary?.sources).toHaveLength(4);
  expect(summary?.sources[0]).toEqual({ ip: "fe80::1", samples: 10 });
  expect(summary?.otherSources).toBe(997);
  expect(summary?.extensionHeaders).toEqual(["dst", "frag"]);
  expect(summary?.icmpv6Types).toEqual([134]);
  expect(agg.take("vm-a", "ra_guard")).toBeUndefined();
});

it("forgets samples whose counter never moved after a few readings", () => {
  const agg = createSampleAggregator({ maxAgeReadings: 2 });
  agg.record({ vmId: "vm-a", control: "eh_hbh", sourceIp: "2001:db8::1" });
  agg.endReading();
  agg.endReading();
  expect(agg.take("vm-a", "eh_hbh")?.samples).toBe(1);
  agg.record({ vmId: "vm-a", control: "eh_hbh", sourceIp: "2001:db8::1" });
  agg.endReading();
  agg.endReading();
  agg.endReading();
  expect(agg.take("vm-a", "eh_hbh")).toBeUndefined();
});

it("counts samples it had no room for", () => {
  const agg = createSampleAggregator({ maxKeys: 1 });
  agg.record({ vmId: "vm-a", control: "ra_guard" });
  agg.record({ vmId: "vm-b", control: "ra_guard" });
  expect(agg.overflowed).toBe(1);
});
