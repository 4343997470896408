import { expect, it } from "vitest";
import { type CounterSnapshot, counterRates } from "./counter-rates.js";

const snapshot = (atMs: number, totals: Record<string, number>): CounterSnapshot => ({
  atMs,
  totals: new Map(Object.entries(totals)),
});

it("divides each counter's increase by the time between the two readings", () => {
  const rates = counterRates(
    snapshot(10_000, { "vm-a/pps": 1_000, "vm-b/pps": 50 }),
    snapshot(12_000, { "vm-a/pps": 5_000, "vm-b/pps": 50 }),
  );
  expect(rates).toEqual(
    new Map([
      ["vm-a/pps", 2_000],
      ["vm-b/pps", 0],
    ]),
  );
});

it("gives rates per minute when asked", () => {
  const rates = counterRates(snapshot(0, { ra: 3 }), snapshot(1_500, { ra: 9 }), 60_000);
  expect(rates.get("ra")).toBe(240);
});

it("counts a counter that went down from zero: it was rebuilt between the readings", () => {
  const rates = counterRates(snapshot(0, { pps: 90_000 }), snapshot(2_000, { pps: 600 }));
  expect(rates.get("pps")).toBe(300);
});

it("gives no rate for a counter the previous reading did not hold", () => {
  const rates = counterRates(snapshot(0, { old: 1 }), snapshot(2_000, { old: 5, fresh: 800 }));
  expect([...rates.keys()]).toEqual(["old"]);
  expect(rates.get("old")).toBe(2);
});

it("gives no rates without a previous reading, or without time between the readings", () => {
  expect(counterRates(undefined, snapshot(2_000, { pps: 10 })).size).toBe(0);
  expect(counterRates(snapshot(2_000, { pps: 1 }), snapshot(2_000, { pps: 10 })).size).toBe(0);
  expect(counterRates(snapshot(3_000, { pps: 1 }), snapshot(2_000, { pps: 10 })).size).toBe(0);
});
