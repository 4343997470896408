// What the kernel holds of a sandbox's links, read in one listing of the host side and one per
// guest namespace asked for: the reconcile compares it with the plans.

/** Runs `ip` with these arguments (inside `namespace` if given) and returns its output. */
export type IpRun = (args: string[], namespace?: string) => Promise<string>;

/** A link of the host side. */
export interface HostLink {
  ifindex: number;
  operstate: string;
  kind: string;
  /** Administratively up. */
  up: boolean;
  master: string | undefined;
}

export interface GuestInterface {
  mac: string;
  /** Global addresses with their prefix lengths. */
  addresses: string[];
}

export interface GuestNamespace {
  /** The alias of its loopback, set with it up (sandbox-driver.ts names the owner). */
  owner: string | undefined;
  interfaces: Map<string, GuestInterface>;
}

/** All links of the host side, by name. */
export async function readHostLinks(ip: IpRun): Promise<Map<string, HostLink>> {
  const list = JSON.parse((await ip(["-d", "-j", "link", "show"])) || "[]") as {
    ifindex: number;
    ifname: string;
    operstate: string;
    flags?: string[];
    master?: string;
    linkinfo?: { info_kind?: string };
  }[];
  return new Map(
    list.map((l) => [
      l.ifname,
      {
        ifindex: l.ifindex,
        operstate: l.operstate,
        kind: l.linkinfo?.info_kind ?? "",
        up: (l.flags ?? []).includes("UP"),
        master: l.master,
      },
    ]),
  );
}

/**
 * The owner mark and interfaces (MAC, global addresses) of these guest namespaces, one `ip -n`
 * each, a few at a time. (Not `ip -all netns exec`: iproute2's forked child returns into the
 * namespace loop when it cannot enter a namespace, so a namespace being deleted meanwhile
 * makes it fork again and again.)
 */
export async function readGuestNamespaces(
  ip: IpRun,
  names: string[],
): Promise<Map<string, GuestNamespace>> {
  const byNamespace = new Map<string, GuestNamespace>();
  const queue = [...names];
  const read = async () => {
    for (let ns = queue.shift(); ns !== undefined; ns = queue.shift()) {
      const out = await ip(["-j", "-d", "addr", "show"], ns).catch(() => undefined);
      if (out === undefined) continue;
      const list = JSON.parse(out || "[]") as {
        ifname: string;
        address?: string;
        ifalias?: string;
        addr_info?: { local: string; prefixlen: number; scope: string }[];
      }[];
      byNamespace.set(ns, {
        owner: list.find((l) => l.ifname === "lo")?.ifalias,
        interfaces: new Map(
          list.map((l) => [
            l.ifname,
            {
              mac: l.address ?? "",
              addresses: (l.addr_info ?? [])
                .filter((a) => a.scope === "global")
                .map((a) => `${a.local}/${a.prefixlen}`),
            },
          ]),
        ),
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, read));
  return byNamespace;
}
