import type { SecurityEventRepository } from "@metald/db";
import { expect, it } from "vitest";
import { createEventPipeline } from "./event-pipeline.js";

const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;

function fakeRepository(fail: () => boolean) {
  const batches: number[] = [];
  let seq = 0;
  const repository = {
    async insert(events) {
      if (fail()) throw new Error("database down");
      batches.push(events.length);
      return events.map(({ retentionDays: _, category: __, ...e }) => ({ ...e, seq: ++seq }));
    },
  } as Pick<SecurityEventRepository, "insert"> as SecurityEventRepository;
  return { repository, batches };
}

const input = (i: number) => ({
  vmId: `vm-${i}`,
  customerId: "acme",
  eventType: "ra_guard_block",
  severity: "warning" as const,
  description: "blocked",
});

it("stores events in batches, in order, and tells listeners with their seqs", async () => {
  const { repository, batches } = fakeRepository(() => false);
  let n = 0;
  const pipeline = createEventPipeline({
    repository,
    eventId: () => `evt-${n++}`,
    now: () => new Date(),
    defaultRetentionDays: 90,
    logger: quiet,
    batchSize: 100,
  });
  const seen: number[] = [];
  pipeline.onStored((stored) => seen.push(...stored.map((e) => e.seq)));
  pipeline.emit(Array.from({ length: 250 }, (_, i) => input(i)));
  await pipeline.flush();
  expect(batches).toEqual([100, 100, 50]);
  expect(seen).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
});

it("keeps events across a database failure, and beyond maxPending drops the oldest and counts them", async () => {
  let down = true;
  const { repository, batches } = fakeRepository(() => down);
  let n = 0;
  const pipeline = createEventPipeline({
    repository,
    eventId: () => `evt-${n++}`,
    now: () => new Date(),
    defaultRetentionDays: 90,
    logger: quiet,
    maxPending: 30,
  });
  pipeline.emit(Array.from({ length: 20 }, (_, i) => input(i)));
  await expect(pipeline.flush()).rejects.toThrow("database down");
  pipeline.emit(Array.from({ length: 20 }, (_, i) => input(i)));
  expect(pipeline.dropped).toBe(10);
  down = false;
  await pipeline.store([input(99)]);
  expect(pipeline.dropped).toBe(11);
  expect(batches.reduce((a, b) => a + b, 0)).toBe(30);
});
