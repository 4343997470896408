// The sandbox driver: everything inside one dedicated network namespace (the "host" side:
// tenant bridges, VM ports, the metald_security table); each VM's guest side is a namespace of
// its own holding the VM's interfaces and addresses, joined by a veth pair. Traffic is real,
// the machine's own network is untouched. Needs root.
import { formatIpv6, parseIpv6 } from "../ipam/ipv6-address.js";
import { linuxNameProblem } from "../net/linux-name.js";
import { SAMPLE_BOOST_ADDRESSES, SAMPLE_BOOST_PORTS } from "../nft/packet-samples.js";
import { rateClassSet, renderMeterCleanup, renderRateClass } from "../nft/rate-classes.js";
import {
  INET_FAMILY,
  IP6_FAMILY,
  renderBaseTable,
  TABLE_FAMILIES,
  TABLE_FAMILY,
  TABLE_NAME,
} from "../nft/ruleset-table.js";
import { diffElements, renderElementChanges, type SetElements } from "../nft/vm-elements.js";
import type { HostPlan } from "../plan/host-plan.js";
import { type CommandRunner, RunError } from "./command-runner.js";
import type { HostCapabilities, HostDriver } from "./host-driver.js";
import { inNamespace, ipAddr, ipLink, ipNetns } from "./ip-link.js";
import { type PortCounters, parseSetCounters } from "./set-counters.js";

export interface SandboxDriverOptions {
  runner: CommandRunner;
  /** The namespace standing in for the host (default "metald-sbx"). */
  namespace?: string;
  /**
   * "sandbox" (default): host side in `namespace`, each VM's guest side a namespace joined by a
   * veth pair. "linux": host side in the host's own namespace, each VM port a tap device that
   * the VM's runtime (Firecracker) attaches to.
   */
  mode?: "sandbox" | "linux";
}

export interface SandboxDriver extends HostDriver {
  /** The namespace holding the host side; undefined for the linux driver. */
  readonly namespace: string | undefined;
  /** Creates the sandbox namespace and loads an empty metald_security table. */
  init(): Promise<void>;
  readCounters(): Promise<PortCounters>;
  /** Interface index → name on the host side (to attribute packet samples to ports). */
  portIndexes(): Promise<Map<number, string>>;
  /**
   * Ports and addresses whose drops are sampled at the boosted rate (enhanced monitoring);
   * replaces the previous set, and survives a reconcile.
   */
  setSampleBoost(ports: string[], addresses: string[]): Promise<void>;
  /** Removes the sandbox namespace and everything in it, and every guest namespace given. */
  destroy(guestNamespaces: string[]): Promise<void>;
}

export function createSandboxDriver(options: SandboxDriverOptions): SandboxDriver {
  const { runner } = options;
  const linux = options.mode === "linux";
  const sbx: string | undefined = linux ? undefined : (options.namespace ?? "metald-sbx");
  const applied = new Map<string, SetElements>();
  // Rate classes present in the tables (see rate-classes.ts); emptied when the tables are rebuilt.
  const classes = new Set<string>();
  const ip = (args: string[], namespace: string | undefined = sbx) =>
    runner.run("ip", inNamespace(namespace, args));
  // A command in the host-side namespace (the host's own for the linux driver).
  const inHost = (command: string, args: string[], input?: string) =>
    sbx
      ? runner.run("ip", ["netns", "exec", sbx, command, ...args], { input })
      : runner.run(command, args, { input });
  const nft = (script: string) => inHost("nft", ["-f", "-"], script);
  let boost = { ports: [] as string[], addresses: [] as string[] };
  const boostScript = () =>
    [
      `flush set ${TABLE_FAMILY} ${TABLE_NAME} ${SAMPLE_BOOST_PORTS}`,
      `flush set ${INET_FAMILY} ${TABLE_NAME} ${SAMPLE_BOOST_ADDRESSES}`,
      ...(boost.ports.length > 0
        ? [
            `add element ${TABLE_FAMILY} ${TABLE_NAME} ${SAMPLE_BOOST_PORTS} { ${boost.ports.map((p) => `"${p}"`).join(", ")} }`,
          ]
        : []),
      ...(boost.addresses.length > 0
        ? [
            `add element ${INET_FAMILY} ${TABLE_NAME} ${SAMPLE_BOOST_ADDRESSES} { ${boost.addresses.join(", ")} }`,
          ]
        : []),
      "",
    ].join("\n");

  async function namespaces(): Promise<Set<string>> {
    const out = await runner.run("ip", ipNetns.listJson());
    const list = out.trim() === "" ? [] : (JSON.parse(out) as { name: string }[]);
    return new Set(list.map((n) => n.name));
  }

  async function linkExists(name: string, namespace: string | undefined): Promise<boolean> {
    try {
      await ip(ipLink.showJson(name), namespace);
      return true;
    } catch (error) {
      if (error instanceof RunError) return false;
      throw error;
    }
  }

  async function ensureNamespace(name: string): Promise<boolean> {
    if ((await namespaces()).has(name)) return false;
    await runner.run("ip", ipNetns.add(name));
    await ip(ipLink.setUp("lo"), name);
    return true;
  }

  async function removeBridgeIfUnused(bridge: string): Promise<void> {
    if (!(await linkExists(bridge, sbx))) return;
    const ports = JSON.parse((await ip(ipLink.showMasterJson(bridge))) || "[]") as unknown[];
    if (ports.length === 0) await ip(ipLink.delete(bridge));
  }

  async function ensureLinks(plan: HostPlan, undo: (() => Promise<unknown>)[]): Promise<void> {
    if (!linux && (await ensureNamespace(plan.guestNamespace))) {
      undo.push(() => runner.run("ip", ipNetns.delete(plan.guestNamespace)));
    }
    for (const link of plan.links) {
      if (link.kind === "bridge" && !(await linkExists(link.name, sbx))) {
        await ip(ipLink.addBridge(link.name, link.mldSnooping));
        await ip(ipLink.setUp(link.name));
        undo.push(() => removeBridgeIfUnused(link.name));
      }
    }
    for (const port of plan.ports) {
      if (await linkExists(port.name, sbx)) {
        if (!linux)
          await syncGuestAddresses(plan.guestNamespace, port.guestInterface, port.addresses);
        continue;
      }
      if (linux) {
        // The guest (Firecracker) attaches to the tap and configures its own addresses.
        await ip(ipLink.addTap(port.name));
        undo.unshift(() => ip(ipLink.delete(port.name)));
        await ip(ipLink.setMtu(port.name, port.mtu));
        await ip(ipLink.setMasterUp(port.name, port.bridge));
      } else {
        await ip(
          ipLink.addVethIntoNamespace(
            port.name,
            port.mtu,
            port.guestInterface,
            plan.guestNamespace,
          ),
        );
        undo.unshift(() => ip(ipLink.delete(port.name)));
        await ip(ipLink.setMasterUp(port.name, port.bridge));
        await ip(ipLink.setAddress(port.guestInterface, port.mac), plan.guestNamespace);
        for (const cidr of port.addresses)
          await ip(ipAddr.add(cidr, port.guestInterface), plan.guestNamespace);
      }
      if (plan.sysctls.length > 0) {
        await inHost("sysctl", ["-q", "-w", ...plan.sysctls.map((s) => `${s.key}=${s.value}`)]);
      }
    }
  }

  // An update may change a VM's addresses: the guest side follows the plan.
  async function syncGuestAddresses(
    namespace: string,
    device: string,
    wanted: string[],
  ): Promise<void> {
    const out = await ip(ipAddr.showJson(device), namespace);
    const info = (
      JSON.parse(out || "[]") as {
        addr_info?: { local: string; prefixlen: number; scope: string }[];
      }[]
    )[0];
    const current = (info?.addr_info ?? [])
      .filter((a) => a.scope === "global")
      .map((a) => `${a.local}/${a.prefixlen}`);
    for (const cidr of current)
      if (!wanted.includes(cidr)) await ip(["-6", "addr", "del", cidr, "dev", device], namespace);
    for (const cidr of wanted)
      if (!current.includes(cidr)) await ip(ipAddr.add(cidr, device), namespace);
  }

  // Rate classes are created once: `pending` holds the ones a script being built creates.
  const pending = new Set<string>();
  function elementScript(plan: HostPlan): string {
    const missing = plan.rateClasses.filter(
      (c) => !classes.has(rateClassSet(c)) && !pending.has(rateClassSet(c)),
    );
    for (const c of missing) pending.add(rateClassSet(c));
    const classScript = missing
      .map(
        (c) =>
          `${renderRateClass(c, c.control === "connections" ? INET_FAMILY : TABLE_FAMILY, TABLE_NAME)}\n`,
      )
      .join("");
    return (
      classScript + renderElementChanges(diffElements(applied.get(plan.vmId) ?? {}, plan.elements))
    );
  }

  async function prepareSandbox(): Promise<void> {
    if (sbx) await ensureNamespace(sbx);
    // Bridged IPv6 must traverse the inet hooks for the stateful half of the policy.
    await inHost("sysctl", ["-q", "-w", "net.bridge.bridge-nf-call-ip6tables=1"]);
  }

  /** Replaces any earlier tables: creating them first makes the deletes always valid. */
  function baseScript(): string {
    const reset = TABLE_FAMILIES.map(
      (family) => `add table ${family} ${TABLE_NAME}\ndelete table ${family} ${TABLE_NAME}\n`,
    ).join("");
    return `${reset}${renderBaseTable()}`;
  }

  function commit(plan: HostPlan): void {
    applied.set(plan.vmId, plan.elements);
    for (const c of plan.rateClasses) classes.add(rateClassSet(c));
    pending.clear();
  }

  async function sandboxLinks(): Promise<Map<string, { operstate: string; kind: string }>> {
    const list = JSON.parse((await ip(["-d", "-j", "link", "show"])) || "[]") as {
      ifname: string;
      operstate: string;
      linkinfo?: { info_kind?: string };
    }[];
    return new Map(
      list.map((l) => [l.ifname, { operstate: l.operstate, kind: l.linkinfo?.info_kind ?? "" }]),
    );
  }

  return {
    name: linux ? "linux" : "sandbox",
    namespace: sbx,

    async compat(): Promise<HostCapabilities> {
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
    },

    async init() {
      await prepareSandbox();
      await nft(baseScript());
      applied.clear();
      classes.clear();
      pending.clear();
    },

    async applyVm(plan) {
      const undo: (() => Promise<unknown>)[] = [];
      try {
        await ensureLinks(plan, undo);
        const script = elementScript(plan);
        if (script) await nft(script);
        commit(plan);
      } catch (error) {
        pending.clear();
        for (const step of undo) await step().catch(() => undefined);
        throw error;
      }
    },

    async reconcile(plans, blockedSources) {
      await prepareSandbox();
      applied.clear();
      classes.clear();
      pending.clear();
      const namespacesNow = await namespaces();
      const links = await sandboxLinks();
      const wanted = new Set(plans.flatMap((p) => p.ports.map((port) => port.name)));
      const wantedNamespaces = new Set(plans.map((p) => p.guestNamespace));
      let created = 0;
      for (const plan of plans) {
        const complete =
          (linux || namespacesNow.has(plan.guestNamespace)) &&
          plan.ports.every((port) => links.has(port.name));
        if (!complete) {
          await ensureLinks(plan, []);
          created++;
        }
      }
      // One transaction rebuilds the tables with every VM and blocked source: there is no
      // moment at which a VM's traffic passes unfiltered.
      const blocked =
        blockedSources.length > 0
          ? `add element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${blockedSources.join(", ")} }\n`
          : "";
      const script =
        baseScript() + plans.map((plan) => elementScript(plan)).join("") + blocked + boostScript();
      try {
        await nft(script);
      } finally {
        pending.clear();
      }
      for (const plan of plans) commit(plan);
      // Leftovers of VMs that no longer exist (deleted while metald was down, or half-created).
      const removed: string[] = [];
      for (const [name, link] of links) {
        // Only ports of metald's naming (tapName) and kind are ever removed.
        const ours =
          /^tap[0-9a-f]{8}[0-9]{1,2}$/.test(name) && link.kind === (linux ? "tun" : "veth");
        if (ours && !wanted.has(name)) {
          await ip(ipLink.delete(name));
          removed.push(name);
        }
      }
      for (const ns of namespacesNow) {
        if (!linux && /^mvm-[0-9a-f]{10}$/.test(ns) && !wantedNamespaces.has(ns)) {
          await runner.run("ip", ipNetns.delete(ns));
          removed.push(ns);
        }
      }
      // Tap ports carry no guest state: their runtime (Firecracker) reports its own.
      const guestsDown = new Set(
        (linux ? [] : plans)
          .filter((plan) => plan.ports.some((port) => links.get(port.name)?.operstate !== "UP"))
          .map((plan) => plan.vmId),
      );
      return { created, removed, guestsDown };
    },

    async updateBlockedSources(add, remove) {
      const lines = [
        ...(remove.length > 0
          ? [`delete element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${remove.join(", ")} }`]
          : []),
        ...(add.length > 0
          ? [`add element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${add.join(", ")} }`]
          : []),
      ];
      if (lines.length > 0) await nft(`${lines.join("\n")}\n`);
    },

    async removeVm(plan) {
      const before = applied.get(plan.vmId) ?? plan.elements;
      const meters = renderMeterCleanup(
        plan.rateClasses,
        plan.ports.map((p) => p.name),
        plan.ports.flatMap((p) => [
          ...p.addresses.map((a) => a.slice(0, a.indexOf("/"))),
          p.linkLocal,
        ]),
        (c) => (c.control === "connections" ? INET_FAMILY : TABLE_FAMILY),
        TABLE_NAME,
      );
      const script = renderElementChanges(diffElements(before, {})) + meters;
      if (script) await nft(script);
      applied.delete(plan.vmId);
      for (const port of plan.ports) {
        if (await linkExists(port.name, sbx)) await ip(ipLink.delete(port.name));
      }
      if (!linux && (await namespaces()).has(plan.guestNamespace)) {
        await runner.run("ip", ipNetns.delete(plan.guestNamespace));
      }
      for (const bridge of new Set(plan.ports.map((p) => p.bridge)))
        await removeBridgeIfUnused(bridge);
    },

    async portIndexes() {
      const links = JSON.parse(await inHost("ip", ["-j", "link", "show"])) as {
        ifindex: number;
        ifname: string;
      }[];
      return new Map(links.map((l) => [l.ifindex, l.ifname]));
    },

    async setSampleBoost(ports, addresses) {
      // Both reach an nft script: only valid link names and canonical addresses pass.
      for (const port of ports) {
        const problem = linuxNameProblem(port);
        if (problem) throw new Error(`sample boost port ${JSON.stringify(port)}: ${problem}`);
      }
      const canonical = addresses.map((a) => formatIpv6(parseIpv6(a)));
      boost = { ports: [...ports], addresses: canonical };
      await nft(boostScript());
    },

    async readCounters() {
      return parseSetCounters(await inHost("nft", ["-j", "list", "ruleset"]));
    },

    async destroy(guestNamespaces) {
      const existing = await namespaces();
      for (const ns of sbx ? [...guestNamespaces, sbx] : guestNamespaces) {
        if (existing.has(ns)) await runner.run("ip", ipNetns.delete(ns));
      }
      applied.clear();
    },
  };
}
