import { expect, it } from "vitest";
import { limitDropTotals, raGuardDropTotal } from "./limit-drop-totals.js";

const count = (packets: number, bytes = packets * 100) => ({ packets, bytes });

it("names each limit the VM has by its drop set, bandwidth in bytes and the rest in packets", () => {
  const totals = limitDropTotals({
    rl_pps_drops: count(40, 4_000),
    rl_bandwidth_drops: count(3, 4_500),
    conn_limit_drops: count(2),
    rl_nd_drops: count(0),
    source_guard: count(9),
  });
  expect(totals).toEqual(
    new Map([
      ["nd", 0],
      ["pps", 40],
      ["bandwidth", 4_500],
      ["connections", 2],
    ]),
  );
});

it("has no limits for a VM in no drop set", () => {
  expect(limitDropTotals({ source_guard: count(5), ra_guard: count(1) }).size).toBe(0);
});

it("adds up the RA guard's sets, and has none for a VM without RA guard", () => {
  expect(raGuardDropTotal({ ra_guard: count(5), redirect_guard: count(2), pps: count(9) })).toBe(7);
  expect(raGuardDropTotal({ ra_guard: count(0) })).toBe(0);
  expect(raGuardDropTotal({ source_guard: count(3) })).toBeUndefined();
});
