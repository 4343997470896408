// Argument lists for the `ip` subcommands metald uses, one function per verb. Every name
// reaching these has been validated as a Linux name; they are arguments, never shell text.

export const ipLink = {
  addBridge: (name: string, mldSnooping: boolean) => [
    "link",
    "add",
    "name",
    name,
    "type",
    "bridge",
    "mcast_snooping",
    mldSnooping ? "1" : "0",
  ],
  /** The guest end gets its MAC as it is made (`address`), in the same command. */
  addVethIntoNamespace: (
    name: string,
    mtu: number,
    peer: string,
    peerNamespace: string,
    peerMac?: string,
  ) => [
    "link",
    "add",
    name,
    "mtu",
    String(mtu),
    "type",
    "veth",
    "peer",
    "name",
    peer,
    ...(peerMac ? ["address", peerMac] : []),
    "netns",
    peerNamespace,
  ],
  /**
   * The same pair made from the guest's side, in the guest's new namespace: its end `name` with
   * the guest's MAC, the port `peer` (with the port's MTU) placed in `peerNamespace`.
   */
  addVethFromGuest: (
    name: string,
    mac: string,
    peer: string,
    mtu: number,
    peerNamespace: string,
  ) => [
    "link",
    "add",
    name,
    "address",
    mac,
    "type",
    "veth",
    "peer",
    "name",
    peer,
    "mtu",
    String(mtu),
    "netns",
    peerNamespace,
  ],
  setMasterUp: (name: string, master: string) => ["link", "set", name, "master", master, "up"],
  addTap: (name: string) => ["tuntap", "add", "dev", name, "mode", "tap"],
  setMtu: (name: string, mtu: number) => ["link", "set", name, "mtu", String(mtu)],
  setUp: (name: string) => ["link", "set", name, "up"],
  setUpWithAlias: (name: string, alias: string) => ["link", "set", name, "up", "alias", alias],
  setDown: (name: string) => ["link", "set", name, "down"],
  setAddress: (name: string, mac: string) => ["link", "set", name, "address", mac],
  delete: (name: string) => ["link", "delete", name],
  show: (name: string) => ["link", "show", "dev", name],
  showJson: (name?: string) => (name ? ["-j", "link", "show", name] : ["-j", "link", "show"]),
  showMasterJson: (master: string) => ["-j", "link", "show", "master", master],
  /** With the link kind's attributes (a bridge's mcast_snooping). */
  showDetailsJson: (name: string) => ["-d", "-j", "link", "show", "dev", name],
};

export const ipAddr = {
  // No "-6": the address says its family, and a batch line takes no global options.
  add: (cidr: string, device: string) => ["addr", "add", cidr, "dev", device],
  del: (cidr: string, device: string) => ["addr", "del", cidr, "dev", device],
  showJson: (device: string) => ["-j", "-6", "addr", "show", "dev", device],
};

export const ipRoute = {
  /**
   * The guest's default route through `device`. `onlink`: the gateway is declared on that link,
   * so it need not lie in a prefix of the interface's (possibly still tentative) addresses.
   */
  replaceDefault: (gateway: string, device: string) => [
    "-6",
    "route",
    "replace",
    "default",
    "via",
    gateway,
    "dev",
    device,
    "onlink",
  ],
};

export const ipNetns = {
  add: (name: string) => ["netns", "add", name],
  delete: (name: string) => ["netns", "delete", name],
  listJson: () => ["-j", "netns", "list"],
};
