// What the host can show about enforcement: whether it programs packet filtering at all, and the
// controls it cannot enforce (docs/enforcement.md "Decisions and limits"; VLANs per the probe).
// A requirement met only through one of those cannot be counted as met.

/** Controls that some hosts, or every host, do not enforce. */
export type HostGap = "vlan" | "ra_block_config" | "eh_max_chain_length";

export interface HostEvidence {
  /**
   * The driver programs each VM's packet filtering (nftables) and the probe confirmed it.
   * False with the dry-run driver (nothing is applied) or before and after a failed probe:
   * host-enforced requirements are then pending, neither met nor violated.
   */
  packetFiltering: boolean;
  /** Why packet filtering cannot be verified, when it cannot. */
  unverifiedReason: string;
  /** VLANs are programmed as bridge VLANs: the kernel has bridge VLAN filtering (probed). */
  bridgeVlans: boolean;
  /** The eBPF port guard loads here: max_chain_length and RA option filtering are enforced. */
  portGuard?: boolean;
}

/** Until the host is probed: nothing host-enforced can be shown. */
export const UNPROBED_HOST: HostEvidence = {
  packetFiltering: false,
  unverifiedReason: "the host's capabilities have not been probed yet",
  bridgeVlans: false,
};

/** Why `gap` is not enforced on `host`, or undefined when it is. */
export function gapReason(gap: HostGap, host: HostEvidence): string | undefined {
  switch (gap) {
    case "vlan":
      return host.bridgeVlans
        ? undefined
        : "this host has no bridge VLAN filtering: the VLAN is stored, not programmed (tenant marks still separate tenants)";
    case "ra_block_config":
      return host.portGuard
        ? undefined
        : "RA option filtering (ra_guard.block_config) is not enforced: this host cannot load the eBPF port guard";
    case "eh_max_chain_length":
      return host.portGuard
        ? undefined
        : "extension_headers.max_chain_length is not enforced: this host cannot load the eBPF port guard";
  }
}
