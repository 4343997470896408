import { describe, expect, it } from "vitest";
import {
  bridgeVlanLines,
  DEFAULT_PORT_VLANS,
  parseBridgeVlans,
  portVlansOf,
  sameVlans,
} from "./bridge-vlans.js";

const text = (lines: string[][]) => lines.map((l) => l.join(" "));

describe("bridge VLANs of a port", () => {
  it("puts a new port in its customer VLAN untagged, takes additional VLANs tagged, and leaves the default VLAN last", () => {
    const want = portVlansOf({ vlan: 100, taggedVlans: [201, 202] });
    expect(text(bridgeVlanLines("tap1", want, DEFAULT_PORT_VLANS))).toEqual([
      "vlan add dev tap1 vid 100 pvid untagged",
      "vlan add dev tap1 vid 201",
      "vlan add dev tap1 vid 202",
      "vlan del dev tap1 vid 1",
    ]);
  });

  it("moves a port between VLANs with the new PVID added before the old one goes", () => {
    const had = { pvid: 100, tagged: [201] };
    expect(text(bridgeVlanLines("tap1", { pvid: 201, tagged: [100] }, had))).toEqual([
      "vlan add dev tap1 vid 201 pvid untagged",
      "vlan add dev tap1 vid 100",
    ]);
    expect(text(bridgeVlanLines("tap1", DEFAULT_PORT_VLANS, had))).toEqual([
      "vlan add dev tap1 vid 1 pvid untagged",
      "vlan del dev tap1 vid 100",
      "vlan del dev tap1 vid 201",
    ]);
    expect(bridgeVlanLines("tap1", had, { pvid: 100, tagged: [201] })).toEqual([]);
  });

  it("treats the default VLAN listed as additional as the default PVID it already is", () => {
    expect(sameVlans({ pvid: 0, tagged: [1] }, DEFAULT_PORT_VLANS)).toBe(true);
    expect(sameVlans({ pvid: 100, tagged: [] }, DEFAULT_PORT_VLANS)).toBe(false);
    expect(sameVlans({ pvid: 100, tagged: [201, 202] }, { pvid: 100, tagged: [202, 201] })).toBe(
      true,
    );
  });

  it("reads `bridge -j vlan show`, ranges included", () => {
    const held = parseBridgeVlans(
      JSON.stringify([
        { ifname: "br-acme", vlans: [{ vlan: 1, flags: ["PVID", "Egress Untagged"] }] },
        {
          ifname: "tap1",
          vlans: [
            { vlan: 100, flags: ["PVID", "Egress Untagged"] },
            { vlan: 201, vlanEnd: 203 },
          ],
        },
        { ifname: "tap2", vlans: [{ vlan: 1, flags: ["PVID", "Egress Untagged"] }] },
      ]),
    );
    expect(held.get("tap1")).toEqual({ pvid: 100, tagged: [201, 202, 203] });
    expect(sameVlans(held.get("tap2") ?? { pvid: 9, tagged: [] }, DEFAULT_PORT_VLANS)).toBe(true);
    expect(parseBridgeVlans("").size).toBe(0);
  });
});
