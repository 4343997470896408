// Probes what the host's kernel can do for tenant isolation (802.1Q VLAN devices, bridge VLAN
// filtering) with a throwaway bridge, and says why a capability is missing; never claims what
// it cannot do.

import type { HostCapabilities } from "./host-driver.js";
import { ipLink } from "./ip-link.js";

export async function probeCapabilities(
  ip: (args: string[]) => Promise<string>,
): Promise<HostCapabilities> {
  const notes: string[] = [];
  const probe = `mprobe${process.pid % 100000}`;
  let vlanDevices = false;
  try {
    await ip(["link", "add", "name", `${probe}b`, "type", "bridge"]);
    try {
      await ip([
        "link",
        "add",
        "link",
        `${probe}b`,
        "name",
        `${probe}v`,
        "type",
        "vlan",
        "id",
        "10",
      ]);
      vlanDevices = true;
      await ip(ipLink.delete(`${probe}v`));
    } catch (error) {
      notes.push(`no 802.1Q VLAN devices: ${(error as Error).message}`);
    }
    let bridgeVlanFiltering = false;
    try {
      await ip(["link", "set", `${probe}b`, "type", "bridge", "vlan_filtering", "1"]);
      bridgeVlanFiltering = true;
    } catch (error) {
      notes.push(`no bridge VLAN filtering: ${(error as Error).message}`);
    }
    await ip(ipLink.delete(`${probe}b`));
    return { vlanDevices, bridgeVlanFiltering, nftables: true, notes };
  } catch (error) {
    notes.push(`probe failed: ${(error as Error).message}`);
    return { vlanDevices, bridgeVlanFiltering: false, nftables: false, notes };
  }
}
