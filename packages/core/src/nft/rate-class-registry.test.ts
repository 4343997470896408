import { describe, expect, it } from "vitest";
import { createRateClassRegistry } from "./rate-class-registry.js";
import { type RateClass, rateClassSet } from "./rate-classes.js";

const nd10: RateClass = { control: "nd", rate: 10, burst: 5 };
const nd20: RateClass = { control: "nd", rate: 20, burst: 5 };
const conn: RateClass = { control: "connections", rate: 100, burst: 0 };
const names = (classes: RateClass[]) => classes.map(rateClassSet).sort();

describe("createRateClassRegistry", () => {
  it("creates a class with its first user only", () => {
    const registry = createRateClassRegistry();
    expect(names(registry.change("a", [nd10, conn]).create)).toEqual(["cl_100", "rl_nd_10_5"]);
    registry.commit("a", [nd10, conn]);
    expect(registry.change("b", [nd10, conn])).toEqual({ create: [], remove: [] });
  });

  it("removes a class with its last user only", () => {
    const registry = createRateClassRegistry();
    registry.commit("a", [nd10]);
    registry.commit("b", [nd10]);
    expect(registry.change("a", []).remove).toEqual([]);
    registry.commit("a", []);
    expect(names(registry.change("b", []).remove)).toEqual(["rl_nd_10_5"]);
    registry.commit("b", []);
    expect(registry.present()).toEqual([]);
  });

  it("moves a VM from one class to another: the new one created, the old one removed", () => {
    const registry = createRateClassRegistry();
    registry.commit("a", [nd10]);
    const change = registry.change("a", [nd20]);
    expect(names(change.create)).toEqual(["rl_nd_20_5"]);
    expect(names(change.remove)).toEqual(["rl_nd_10_5"]);
    registry.commit("a", [nd20]);
    expect(names(registry.present())).toEqual(["rl_nd_20_5"]);
  });

  it("changes nothing until a change is committed (a failed apply leaves it as it was)", () => {
    const registry = createRateClassRegistry();
    registry.change("a", [nd10]);
    expect(registry.present()).toEqual([]);
    expect(names(registry.change("b", [nd10]).create)).toEqual(["rl_nd_10_5"]);
  });

  it("counts a class a VM names twice (two ports) once", () => {
    const registry = createRateClassRegistry();
    registry.commit("a", [nd10, nd10]);
    expect(names(registry.change("a", []).remove)).toEqual(["rl_nd_10_5"]);
  });
});
