// A VM port's VLANs as bridge VLANs (`bridge vlan`), where the kernel has bridge VLAN filtering:
// `customer_vlan` is the port's PVID, untagged (the guest sends and receives untagged frames,
// the bridge keeps them in that VLAN), `additional_vlans` are accepted tagged. Ports of other
// VLANs on the same bridge no longer exchange frames. Pure: lines for `bridge -batch -`, and
// the reading of `bridge -j vlan show`.

/** The bridge's default VLAN, every port's PVID until told otherwise. */
export const DEFAULT_VLAN = 1;

export interface PortVlans {
  /** The untagged VLAN (PVID); 0: the bridge's default VLAN. */
  pvid: number;
  /** VLANs accepted tagged. */
  tagged: readonly number[];
}

/** A new port on a VLAN-filtering bridge: the default VLAN only, untagged. */
export const DEFAULT_PORT_VLANS: PortVlans = { pvid: 0, tagged: [] };

/** The VLANs a plan's port asks for: its customer VLAN and additional VLANs. */
export function portVlansOf(port: { vlan: number; taggedVlans?: readonly number[] }): PortVlans {
  return { pvid: port.vlan, tagged: port.taggedVlans ?? [] };
}

/** Whether a port asks for anything beyond the default (on a host without VLAN programming). */
export const wantsVlans = (vlans: PortVlans) => vlans.pvid > 0 || vlans.tagged.length > 0;

/** VLAN id → "pvid" (untagged) or "tagged"; the default VLAN stands for pvid 0. */
function membership(vlans: PortVlans): Map<number, "pvid" | "tagged"> {
  const pvid = vlans.pvid > 0 ? vlans.pvid : DEFAULT_VLAN;
  const out = new Map<number, "pvid" | "tagged">([[pvid, "pvid"]]);
  for (const vid of vlans.tagged) if (!out.has(vid)) out.set(vid, "tagged");
  return out;
}

export function sameVlans(a: PortVlans, b: PortVlans): boolean {
  const x = membership(a);
  const y = membership(b);
  return x.size === y.size && [...x].every(([vid, kind]) => y.get(vid) === kind);
}

/**
 * `bridge -batch` lines moving `port` from `had` to `want`: additions first (the new PVID
 * replaces the old one as it is added, so the port is never without one), then removals.
 * `port` is a validated link name; VLAN ids are integers 1-4094.
 */
export function bridgeVlanLines(port: string, want: PortVlans, had: PortVlans): string[][] {
  const wanted = membership(want);
  const held = membership(had);
  const adds: string[][] = [];
  for (const [vid, kind] of wanted) {
    if (held.get(vid) === kind) continue;
    const line = ["vlan", "add", "dev", port, "vid", String(vid)];
    if (kind === "pvid") adds.unshift([...line, "pvid", "untagged"]);
    else adds.push(line);
  }
  const removes = [...held.keys()]
    .filter((vid) => !wanted.has(vid))
    .map((vid) => ["vlan", "del", "dev", port, "vid", String(vid)]);
  return [...adds, ...removes];
}

interface BridgeVlanJson {
  ifname: string;
  vlans?: { vlan: number; vlanEnd?: number; flags?: string[] }[];
}

/** Each port's VLANs from `bridge -j vlan show` (the bridges' own entries included). */
export function parseBridgeVlans(json: string): Map<string, PortVlans> {
  const out = new Map<string, PortVlans>();
  const entries = json.trim() === "" ? [] : (JSON.parse(json) as BridgeVlanJson[]);
  for (const entry of entries) {
    let pvid = 0;
    const tagged: number[] = [];
    for (const v of entry.vlans ?? []) {
      for (let vid = v.vlan; vid <= (v.vlanEnd ?? v.vlan); vid++) {
        if (v.flags?.includes("PVID")) pvid = vid === DEFAULT_VLAN ? 0 : vid;
        else tagged.push(vid);
      }
    }
    out.set(entry.ifname, { pvid, tagged });
  }
  return out;
}
