import { describe, expect, it } from "vitest";
import { mergeSetElements } from "./fleet-elements.js";
import { renderElementChanges } from "./vm-elements.js";

describe("mergeSetElements", () => {
  it("gathers every VM's elements per set, each element once, sets in name order", () => {
    const merged = mergeSetElements([
      { vm_ports: ['"tap1"'], own_prefixes: ["2001:db8::/64"] },
      { vm_ports: ['"tap2"'], own_prefixes: ["2001:db8::/64"] },
      {},
    ]);
    expect(Object.keys(merged)).toEqual(["own_prefixes", "vm_ports"]);
    expect(merged).toEqual({ own_prefixes: ["2001:db8::/64"], vm_ports: ['"tap1"', '"tap2"'] });
  });

  it("renders as one add statement per set", () => {
    const script = renderElementChanges({
      add: mergeSetElements([{ vm_ports: ['"tap1"'] }, { vm_ports: ['"tap2"'] }]),
      remove: {},
    });
    expect(script.trim().split("\n")).toHaveLength(1);
    expect(script).toContain('vm_ports { "tap1", "tap2" }');
  });
});
