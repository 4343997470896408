// Fragments that reassembly did not take: which VMs' ports drop them, and where in the table.
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { FragmentPolicy } from "../policy/security-policy.js";
import { renderBaseTable } from "./ruleset-table.js";
import { compileVmElements } from "./vm-elements.js";

function elementsFor(fragmentPolicy: FragmentPolicy) {
  const { policy } = resolvePolicy({ profile: "HIGH" });
  policy.extensionHeaders.fragmentPolicy = fragmentPolicy;
  return compileVmElements(
    [
      {
        name: "mv-frag0",
        addresses: ["2001:db8::5"],
        prefixes: ["2001:db8::/64"],
        linkLocal: "fe80::5",
        policy,
      },
    ],
    false,
  ).elements;
}

describe("fragments reassembly refused", () => {
  it("are dropped and counted on the way to the VM, after the BLOCK check", () => {
    const table = renderBaseTable();
    const toVm = table.slice(
      table.indexOf("  chain to_vm {"),
      table.indexOf("  chain tenant_check"),
    );
    const block = toVm.indexOf("exthdr frag exists oifname @eh_frag_in");
    const rejected = toVm.indexOf(
      'exthdr frag exists oifname @frag_rejected_in counter name "frag_rejected_in_seen" goto sample_frag_rejected_in',
    );
    expect(block).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(block);
  });

  it.each(["REASSEMBLE", "ALLOW"] as const)("apply to a VM whose fragment_policy is %s", (p) => {
    const elements = elementsFor(p);
    expect(elements.frag_rejected_in).toEqual(['"mv-frag0"']);
    expect(elements.eh_frag_in).toBeUndefined();
  });

  it("leave BLOCK to eh_frag_in, which drops every fragment", () => {
    const elements = elementsFor("BLOCK");
    expect(elements.frag_rejected_in).toBeUndefined();
    expect(elements.eh_frag_in).toEqual(['"mv-frag0"']);
    // Dropped before reassembly too: after it, a fragmented datagram is whole.
    expect(elements.eh_frag_to).toEqual(["2001:db8::5", "fe80::5"]);
  });

  it("with BLOCK, drops fragments to the VM's addresses in prerouting, before br_netfilter reassembles them", () => {
    const table = renderBaseTable();
    const prerouting = table.slice(
      table.indexOf("  chain prerouting {"),
      table.indexOf("  chain forward {"),
    );
    expect(prerouting).toContain(
      'exthdr frag exists ip6 daddr @eh_frag_to counter name "eh_frag_to_seen" goto sample_eh_frag_to',
    );
    expect(elementsFor("REASSEMBLE").eh_frag_to).toBeUndefined();
  });
});
