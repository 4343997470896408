import { OBSERVED_SETS, type PacketCount, type PortCounters } from "@metald/core";
import { describe, expect, it } from "vitest";
import {
  COUNTED_CONTROLS,
  elementKey,
  familyOfElement,
  printedElement,
  vmEnforcementOf,
} from "./vm-enforcement.js";

const plan = {
  ports: [
    {
      name: "tap-a0",
      bridge: "br-t",
      guestInterface: "eth0",
      mac: "02:00:00:00:00:01",
      mtu: 1500,
      addresses: ["2001:db8::10/64"],
      linkLocal: "fe80::1",
      gateway: "",
      vlan: 0,
    },
  ],
  elements: {
    vm_ports: ['"tap-a0"'],
    vm_sources: ['"tap-a0" . 2001:db8::10', '"tap-a0" . fe80::1'],
    ra_guard: ['"tap-a0"'],
    source_guard: ['"tap-a0"'],
    rl_pps_drops: ['"tap-a0"'],
    egress_deny_l4: ["2001:db8::10 . tcp . 25 . ::/0 . 0-65535"],
    egress_default_drop: ["2001:db8::10"],
  },
};

describe("a VM's enforcement", () => {
  it("lists every counted control the VM has elements in, with the last reading's counts", () => {
    const reading: PortCounters = new Map<string, Record<string, PacketCount>>([
      ["tap-a0", { ra_guard: { packets: 3, bytes: 240 }, vm_ports: { packets: 99, bytes: 1 } }],
      ["2001:db8::10", { egress_deny_l4: { packets: 2, bytes: 120 } }],
      // future_guard: a counted set the table does not name yet, shown under its own name.
      [
        "fe80::1",
        { egress_deny_l4: { packets: 1, bytes: 60 }, future_guard: { packets: 4, bytes: 320 } },
      ],
      // Another VM's port: not counted for this one.
      ["tap-b0", { ra_guard: { packets: 50, bytes: 4000 } }],
    ]);
    const { counters } = vmEnforcementOf(plan, ["eth0"], reading);
    const bySet = Object.fromEntries(counters.map((c) => [c.set, c]));
    // The accept-side vm_ports and the uncounted vm_sources are not controls.
    expect(Object.keys(bySet)).toEqual([
      "ra_guard",
      "source_guard",
      "rl_pps_drops",
      "egress_deny_l4",
      "egress_default_drop",
      "future_guard",
    ]);
    expect(bySet.future_guard).toMatchObject({ category: "other", packets: 4n, bytes: 320n });
    expect(bySet.ra_guard).toMatchObject({
      interfaceId: "eth0",
      port: "tap-a0",
      category: "ra_guard",
      packets: 3n,
      bytes: 240n,
    });
    expect(bySet.ra_guard?.control).toContain("router advertisements from the VM");
    // An address-keyed set adds up the port's addresses, link-local included.
    expect(bySet.egress_deny_l4).toMatchObject({ category: "rule_list", packets: 3n, bytes: 180n });
    // Nothing counted yet: zero, still listed.
    expect(bySet.source_guard).toMatchObject({ packets: 0n, bytes: 0n });
    expect(bySet.rl_pps_drops?.category).toBe("rate_limit");
  });

  it("has no counters where nothing reads the kernel, and the elements either way", () => {
    const { counters, elements } = vmEnforcementOf(plan, ["eth0"], undefined);
    expect(counters).toEqual([]);
    expect(elements[0]).toEqual({
      family: "inet",
      set: "egress_default_drop",
      element: "2001:db8::10",
    });
    expect(elements).toContainEqual({
      family: "bridge",
      set: "vm_sources",
      element: '"tap-a0" . 2001:db8::10',
    });
    expect(elements).toHaveLength(8);
  });

  it("keys an element by its first value, unquoted, and tells its table by it", () => {
    expect(elementKey('"tap-a0" . 2001:db8::10')).toBe("tap-a0");
    expect(elementKey("2001:db8::10 . tcp . 25 . ::/0 . 0-65535")).toBe("2001:db8::10");
    expect(familyOfElement('"tap-a0"')).toBe("bridge");
    expect(familyOfElement("2001:db8::10")).toBe("inet");
  });

  it("prints a tenant mark as nft lists it, every other element as written", () => {
    expect(printedElement("port_tenant", '"tap-a0" : 1')).toBe('"tap-a0" : 0x00000001');
    expect(printedElement("port_tenant_keys", '"tap-a0" . 258')).toBe('"tap-a0" . 0x00000102');
    expect(printedElement("vm_sources", '"tap-a0" . 2001:db8::10')).toBe('"tap-a0" . 2001:db8::10');
  });
});

describe("the controls a VM page names", () => {
  it("names every counted drop set the ruleset observes (the host-wide blocked sources aside)", () => {
    const observed = Object.values(OBSERVED_SETS)
      .flat()
      .filter((set) => set !== "blocked_sources");
    expect(observed.filter((set) => !COUNTED_CONTROLS.has(set))).toEqual([]);
  });
});
