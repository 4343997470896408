// The DAD guard (issue: a VM answering its neighbours' duplicate address detection with its own
// probes keeps their addresses from coming up): what the bridge table does with neighbor
// solicitations from :: and which VMs it applies to.
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { renderBaseTable } from "./ruleset-table.js";
import { compileVmElements, type VmPort } from "./vm-elements.js";

function chain(table: string, name: string): string[] {
  const start = table.indexOf(`  chain ${name} {`);
  const end = table.indexOf("\n  }", start);
  return table
    .slice(start, end)
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
}

function port(sourceGuard: boolean): VmPort {
  const { policy } = resolvePolicy({ profile: "HIGH" });
  policy.sourceValidation.sourceGuard = sourceGuard;
  return {
    name: "mv-dad0",
    addresses: ["2001:db8::a"],
    prefixes: ["2001:db8::/64"],
    linkLocal: "fe80::a",
    policy,
  };
}

describe("DAD guard", () => {
  const bridge = renderBaseTable().split("table inet")[0] ?? "";

  it("checks the target of every DAD probe before the source guard lets :: through", () => {
    // from_vm checks the headers of ICMPv6 and then goes to source_from_vm, whose `::` return
    // ends the frame's checks.
    const fromVm = chain(bridge, "from_vm");
    const probe = fromVm.indexOf("ip6 saddr :: icmpv6 type nd-neighbor-solicit jump dad_from_vm");
    expect(probe).toBeGreaterThanOrEqual(0);
    expect(probe).toBeLessThan(fromVm.lastIndexOf("goto source_from_vm"));
    expect(fromVm.every((line) => !line.startsWith("ip6 saddr :: icmpv6 type {"))).toBe(true);
    expect(chain(bridge, "source_from_vm")).toContain(
      "ip6 saddr :: icmpv6 type { nd-neighbor-solicit, mld2-listener-report } return",
    );
  });

  it("lets a probe for an address the VM may advertise pass, and drops and counts the rest", () => {
    expect(chain(bridge, "dad_from_vm")).toEqual([
      "iifname . @th,64,128 @vm_na_targets return",
      'iifname @dad_guard counter name "dad_guard_seen" goto sample_dad_guard',
    ]);
  });

  it("applies to a VM's port with the source guard, and its own addresses and link-local are targets it may probe", () => {
    const { elements } = compileVmElements([port(true)], false);
    expect(elements.dad_guard).toEqual(['"mv-dad0"']);
    expect(elements.vm_na_targets).toEqual([
      '"mv-dad0" . 0x20010db800000000000000000000000a',
      '"mv-dad0" . 0xfe80000000000000000000000000000a',
    ]);
  });

  it("does not apply without the source guard (probes for any target pass)", () => {
    expect(compileVmElements([port(false)], false).elements.dad_guard).toBeUndefined();
  });
});
