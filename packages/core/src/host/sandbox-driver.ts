// The sandbox driver: everything inside one dedicated network namespace (the "host" side:
// tenant bridges, VM ports, the metald_security table); each VM's guest side is a namespace of
// its own holding the VM's interfaces and addresses, joined by a veth pair. Traffic is real,
// the machine's own network is untouched. Needs root.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { mergeCounters } from "../bpf/port-guard.js";
import { formatIpv6, parseIpv6 } from "../ipam/ipv6-address.js";
import { linuxNameProblem } from "../net/linux-name.js";
import { mergeSetElements } from "../nft/fleet-elements.js";
import { SAMPLE_BOOST_ADDRESSES, SAMPLE_BOOST_PORTS } from "../nft/packet-samples.js";
import { createRateClassRegistry, type RateClassChange } from "../nft/rate-class-registry.js";
import {
  type RateClass,
  rateClassChain,
  rateClassRuleHandles,
  rateClassSet,
  renderMeterCleanup,
  renderRateClass,
  renderRateClassRemoval,
} from "../nft/rate-classes.js";
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
import { createBridgePorts } from "./bridge-port-limit.js";
import { type BridgeRegistry, createMemoryBridgeRegistry } from "./bridge-registry.js";
import { portVlansOf } from "./bridge-vlans.js";
import { type CommandRunner, RunError } from "./command-runner.js";
import { createCounterObserver } from "./counter-observer.js";
import { createGuestNamespaceMarks, GUEST_MARKS_ROOT } from "./guest-namespace-marks.js";
import { HostApplyError, type HostStep } from "./host-apply-error.js";
import { probeCapabilities } from "./host-capabilities-probe.js";
import type { HostCapabilities, HostDriver, ReconcileResult } from "./host-driver.js";
import {
  type GuestNamespace,
  type HostLink,
  readGuestNamespaces,
  readHostLinks,
} from "./host-link-state.js";
import {
  type IpBatchLine,
  ifindexesOf,
  NETNS_DIR,
  runIpBatch,
  runIpBatchInNewNamespace,
} from "./ip-batch.js";
import { ipAddr, ipLink, ipNetns } from "./ip-link.js";
import { createKeyedMutex } from "./keyed-mutex.js";
import { createNftScriptRunner, type NftTransactions } from "./nft-channel.js";
import { createPortVlanProgrammer, type VlanPort } from "./port-vlans.js";
import type { PortCounters } from "./set-counters.js";
import {
  beyondDefaults,
  createNamespaceSysctlWriter,
  createProcSysWriter,
  portDefaultEntries,
  type SysctlWriter,
} from "./sysctl-writer.js";
import { createVmGuard, type GuardedPort, type VmGuard } from "./vm-guard.js";

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
  /** Where this sandbox marks its guest namespaces (default /run/metald/guest-namespaces/NS). */
  guestMarksDir?: string;
  /** The bridges metald created (only these are deleted); default: those of this process. */
  bridges?: BridgeRegistry;
  /**
   * Opens the channel per-VM nftables transactions go through, for the namespace holding the
   * tables (createNftChannel: one long-lived `nft -i`); default one `nft -f -` per transaction
   * through the runner. Big scripts (the whole tables) always go through `nft -f -`.
   */
  nftChannel?: (namespace: string | undefined) => NftTransactions;
  /** Writes sysctls of the host's own namespace (linux mode); default /proc/sys directly. */
  sysctls?: SysctlWriter;
  /**
   * The eBPF port guard (max_chain_length, RA option filtering); default one loading the
   * built classifier, pinned under /sys/fs/bpf/metald/<namespace>. false: none (the probe
   * then reports those settings as not enforced).
   */
  vmGuard?: VmGuard | false;
  /**
   * Whether ports get their VLANs as bridge VLANs (customer_vlan untagged, additional_vlans
   * tagged); default: where the kernel has bridge VLAN filtering (probed once).
   */
  bridgeVlanFiltering?: boolean;
}

export interface SandboxDriver extends HostDriver {
  /** The namespace holding the host side; undefined for the linux driver. */
  readonly namespace: string | undefined;
  /** Creates the sandbox namespace and loads an empty metald_security table. */
  init(): Promise<void>;
  /** Whether a link of this name exists on the host side. */
  linkExists(name: string): Promise<boolean>;
  /** Every observed set's counters; lists again only the sets that moved (counter-observer.ts). */
  readCounters(): Promise<PortCounters>;
  /** The last reading (kept in step with VM changes since); runs no command. */
  lastCounters(): PortCounters;
  /** As readCounters, but only the keys that counted anything (absent reads as zero). */
  readActiveCounters(): Promise<PortCounters>;
  /** As lastCounters, but only the keys that counted anything; runs no command. */
  lastActiveCounters(): PortCounters;
  /** A fresh reading, with one VM's elements of the accept-side sets (vm_ports, vm_sources…). */
  readVmCounters(elements: SetElements): Promise<PortCounters>;
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
  const bridges = options.bridges ?? createMemoryBridgeRegistry();
  const linux = options.mode === "linux";
  const sbx: string | undefined = linux ? undefined : (options.namespace ?? "metald-sbx");
  const applied = new Map<string, SetElements>();
  // Rate classes in the tables and the VMs using them; emptied when the tables are rebuilt.
  const classes = createRateClassRegistry();
  // Shared kernel objects have one owner at a time: a tenant bridge (created with its first
  // port, removed with its last) under its name, the nftables tables (rate classes come and go
  // with their users) under NFT. Concurrent requests for other bridges proceed meanwhile.
  const owners = createKeyedMutex();
  const NFT = "nft";
  // The guard's maps and attachments (vm-guard.ts).
  const GUARD = "guard";
  const bridgeKeys = (plan: HostPlan) => [...new Set(plan.ports.map((p) => `bridge:${p.bridge}`))];
  // In a namespace by the runner's netns (not `ip -n` or `ip netns exec`: each of those copies
  // the mount table, whose size grows with the guest namespaces' mounts).
  const ip = (args: string[], namespace: string | undefined = sbx) =>
    runner.run("ip", args, { netns: namespace });
  // A command in the host-side namespace (the host's own for the linux driver).
  const inHost = (command: string, args: string[], input?: string) =>
    runner.run(command, args, { input, netns: sbx });
  const nft = (script: string) => inHost("nft", ["-f", "-"], script);
  // Per-VM transactions: through the long-lived channel when one is given (nft-channel.ts).
  // It is opened in the namespace as it is now, so it is closed whenever that namespace is made
  // anew (a process keeps the namespace it entered alive).
  let channel: NftTransactions | undefined;
  const openChannel = () =>
    options.nftChannel?.(sbx) ?? createNftScriptRunner((args, input) => inHost("nft", args, input));
  const transaction = (script: string) => {
    channel ??= openChannel();
    return channel.apply(script);
  };
  const closeChannel = () => {
    channel?.close();
    channel = undefined;
  };
  // The sandbox namespace is metald's own: its ports' sysctls are its defaults (written once,
  // see prepareSandbox). The host's own namespace is written key by key, in /proc/sys.
  const sysctls: SysctlWriter = sbx
    ? createNamespaceSysctlWriter(runner, sbx)
    : (options.sysctls ?? createProcSysWriter());
  // What the driver made or found (at the last reconcile), so that a change asks the kernel
  // nothing it already knows: bridges on the host side, each port's interface index (packet
  // samples name ports by index), the addresses each guest interface was given.
  const knownBridges = new Set<string>();
  // Each bridge's multicast snooping as the kernel has it: written when metald creates the
  // bridge, read once for one it did not; a bridge's setting is never changed afterwards.
  const bridgeSnooping = new Map<string, boolean>();
  const ifindexes = new Map<string, number>();
  let ifindexesKnown = false;
  const guestAddresses = new Map<string, string[]>();
  // Callers hold NFT: readings and element changes never interleave.
  const counters = createCounterObserver({ nft: (args, input) => inHost("nft", args, input) });
  // The eBPF port guard, where the host can load it; a port's settings are not enforced (and
  // compat() says so) where it cannot.
  const guard: VmGuard | undefined =
    options.vmGuard === false
      ? undefined
      : (options.vmGuard ?? createVmGuard({ runner, namespace: sbx }));
  const guardReady = async () => guard !== undefined && (await guard.unavailable()) === undefined;
  // What the kernel can do, probed once (with a throwaway bridge) when first needed.
  let capabilities: Promise<HostCapabilities> | undefined;
  const probe = () => {
    capabilities ??= probeCapabilities((args) => ip(args));
    return capabilities;
  };
  // Each port's VLANs, where the kernel has bridge VLAN filtering (port-vlans.ts).
  const vlans = createPortVlanProgrammer({
    runner,
    namespace: sbx,
    supported: async () => options.bridgeVlanFiltering ?? (await probe()).bridgeVlanFiltering,
  });
  const vlanPorts = (plan: HostPlan): VlanPort[] =>
    plan.ports.map((p) => ({ name: p.name, bridge: p.bridge, vlans: portVlansOf(p) }));
  // The ports metald put on each bridge (a bridge holds at most 1,024), under the bridge keys.
  const bridgePorts = createBridgePorts();
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

  // Guest namespaces live in the machine's namespace list, shared with any other metald (or
  // sandbox) on it: each one this sandbox makes is marked as its own (guest-namespace-marks.ts,
  // and its loopback's alias names the owner for people), so that a reconcile removes only its
  // own leftovers, with one directory listing.
  const owner = `metald:${sbx ?? "host"}`;
  const marks = createGuestNamespaceMarks(
    options.guestMarksDir ?? join(GUEST_MARKS_ROOT, sbx ?? "host"),
  );
  // `ip netns add` makes /run/netns/NAME: one stat instead of listing every namespace.
  const namespaceExists = (name: string) =>
    access(join(NETNS_DIR, name)).then(
      () => true,
      () => false,
    );

  /** Creates the sandbox namespace with its loopback up; false if it existed. */
  async function ensureNamespace(name: string): Promise<boolean> {
    if (await namespaceExists(name)) return false;
    await runner.run("ip", ipNetns.add(name));
    await ip(ipLink.setUp("lo"), name);
    return true;
  }

  /** The guest side a plan asks for, as recorded in its namespace's mark once made. */
  const fingerprint = (plan: HostPlan) =>
    JSON.stringify({
      owner,
      ports: plan.ports.map((p) => [p.guestInterface, p.mac, [...p.addresses].sort()]),
    });

  async function deleteGuestNamespace(name: string): Promise<void> {
    await runner.run("ip", ipNetns.delete(name));
    await marks.unmark(name);
  }

  // Only a bridge metald created is deleted; an operator's bridge stays, ports or not.
  async function removeBridgeIfUnused(bridge: string): Promise<void> {
    if (!(await bridges.owns(bridge))) return;
    if (!(await linkExists(bridge, sbx))) {
      knownBridges.delete(bridge);
      bridgeSnooping.delete(bridge);
      return bridges.forget(bridge);
    }
    const ports = JSON.parse((await ip(ipLink.showMasterJson(bridge))) || "[]") as unknown[];
    if (ports.length === 0) {
      await ip(ipLink.delete(bridge));
      knownBridges.delete(bridge);
      bridgeSnooping.delete(bridge);
      await bridges.forget(bridge);
    }
  }

  /** Runs one step of applying a plan; a failure names the step, not the command line. */
  async function step<T>(
    plan: HostPlan,
    kind: HostStep,
    subject: string | undefined,
    task: () => Promise<T>,
  ): Promise<T> {
    try {
      return await task();
    } catch (error) {
      if (error instanceof HostApplyError) throw error;
      throw new HostApplyError(plan.vmId, kind, subject, error);
    }
  }

  /** Whether a bridge exists on the host side: known, or asked once. */
  async function bridgeExists(name: string): Promise<boolean> {
    if (knownBridges.has(name)) return true;
    const exists = await linkExists(name, sbx);
    if (exists) knownBridges.add(name);
    return exists;
  }

  /**
   * Creates what of the plan's links is missing, with one `ip -batch` in the guest namespace
   * and one on the host side: two processes per VM whatever its number of links. A new guest's
   * namespace is made by its batch's own process, which makes the veth pairs from the guest's
   * side; otherwise the host side makes them. Callers hold the plan's bridge keys (`owners`).
   */
  async function ensureLinks(plan: HostPlan, undo: (() => Promise<unknown>)[]): Promise<void> {
    // Before anything changes: the kernel's own refusal comes only after the namespace exists.
    bridgePorts.check(plan.vmId, plan.ports);
    const ns = plan.guestNamespace;
    const host: IpBatchLine[] = [];
    const guest: IpBatchLine[] = [];
    const created = new Set<string>();
    const newNamespace = !linux && !(await namespaceExists(ns));
    if (newNamespace) {
      // Marked first: a namespace that exists is always known as this sandbox's.
      await step(plan, "namespace", ns, () => marks.mark(ns));
      // Removing it removes the pairs made in it, both ends.
      undo.push(() => deleteGuestNamespace(ns));
      guest.push({ args: ipLink.setUpWithAlias("lo", owner), step: "namespace", subject: ns });
    }
    for (const link of plan.links) {
      if (link.kind !== "bridge" || created.has(link.name) || (await bridgeExists(link.name)))
        continue;
      // Recorded first, so that a bridge metald created never lacks its record; a bridge
      // that appeared meanwhile (the add fails) is not metald's (removeBridgeIfUnused forgets
      // it).
      await step(plan, "bridge", link.name, () => bridges.record(link.name, plan.tenantId));
      undo.push(() => removeBridgeIfUnused(link.name));
      const subject = { step: "bridge" as const, subject: link.name };
      host.push({ args: ipLink.addBridge(link.name, link.mldSnooping), ...subject });
      host.push({ args: ipLink.setUp(link.name), ...subject });
      created.add(link.name);
    }
    let guestChanged = newNamespace;
    for (const port of plan.ports) {
      if (bridgePorts.has(port.bridge, port.name)) {
        if (!linux) {
          const lines = await guestAddressChanges(ns, port.guestInterface, port.addresses);
          guest.push(...lines);
          if (lines.length > 0) guestChanged = true;
        }
        continue;
      }
      created.add(port.name);
      bridgePorts.add(port.bridge, port.name);
      undo.unshift(async () => {
        bridgePorts.remove(port.bridge, port.name);
        ifindexes.delete(port.name);
        vlans.forget(port.name);
        guestAddresses.delete(`${ns}/${port.guestInterface}`);
      });
      undo.unshift(() => ip(ipLink.delete(port.name)));
      const subject = { step: "port" as const, subject: port.name };
      if (linux) {
        // The guest (Firecracker) attaches to the tap and configures its own addresses.
        host.push({ args: ipLink.addTap(port.name), ...subject });
        host.push({ args: ipLink.setMtu(port.name, port.mtu), ...subject });
      } else {
        const pair = newNamespace
          ? ipLink.addVethFromGuest(
              port.guestInterface,
              port.mac,
              port.name,
              port.mtu,
              sbx as string,
            )
          : ipLink.addVethIntoNamespace(port.name, port.mtu, port.guestInterface, ns, port.mac);
        (newNamespace ? guest : host).push({ args: pair, ...subject });
        guestChanged = true;
        for (const cidr of port.addresses)
          guest.push({
            args: ipAddr.add(cidr, port.guestInterface),
            step: "addresses",
            subject: port.guestInterface,
          });
      }
      host.push({ args: ipLink.setMasterUp(port.name, port.bridge), ...subject });
      // Its index, for packet samples, in the same process.
      host.push({ args: ipLink.show(port.name), ...subject });
    }
    // A new guest first: its batch makes the pairs the host side then puts on their bridges.
    if (newNamespace) await runIpBatchInNewNamespace(runner, plan.vmId, ns, guest);
    for (const [name, index] of ifindexesOf(await runIpBatch(runner, plan.vmId, sbx, host)))
      ifindexes.set(name, index);
    // Every port of the plan, new or updated; an update that fails later restores the old.
    const previousVlans = await vlans.apply(plan.vmId, vlanPorts(plan));
    if (previousVlans.length > 0) undo.push(() => vlans.apply(plan.vmId, previousVlans));
    for (const name of created)
      if (!plan.ports.some((p) => p.name === name)) knownBridges.add(name);
    for (const link of plan.links)
      if (link.kind === "bridge" && created.has(link.name))
        bridgeSnooping.set(link.name, link.mldSnooping);
    if (!newNamespace && guest.length > 0) {
      // Unfinished until the batch applied: a stop in between makes the reconcile look inside.
      await marks.mark(ns);
      await runIpBatch(runner, plan.vmId, ns, guest);
    }
    if (!linux) {
      for (const port of plan.ports)
        guestAddresses.set(`${ns}/${port.guestInterface}`, [...port.addresses]);
      if (guestChanged) await marks.settle(ns, fingerprint(plan));
    }
    // Written once every port and bridge of the plan exists: the keys name all of them. In the
    // sandbox namespace, links created now hold its defaults, and bridges made before hold them
    // (made under the same defaults, or written by the reconcile that found them).
    if (created.size > 0 && plan.sysctls.length > 0) {
      const held = new Set([
        ...created,
        ...plan.links.map((l) => l.name).filter((n) => knownBridges.has(n)),
      ]);
      const rest = sbx ? beyondDefaults(plan.sysctls, held) : plan.sysctls;
      if (rest.length > 0) await step(plan, "sysctls", undefined, () => sysctls.write(rest));
    }
  }

  /** Creates the plan's links under its bridges' keys; on failure removes what it created. */
  async function applyLinks(plan: HostPlan): Promise<(() => Promise<unknown>)[]> {
    return owners.run(bridgeKeys(plan), async () => {
      const undo: (() => Promise<unknown>)[] = [];
      try {
        await ensureLinks(plan, undo);
        return undo;
      } catch (error) {
        for (const task of undo) await task().catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * The batch lines moving a guest interface's global addresses to `wanted` (an update may
   * change them): from what the driver last gave it, or read from the namespace if unknown.
   */
  async function guestAddressChanges(
    namespace: string,
    device: string,
    wanted: string[],
  ): Promise<IpBatchLine[]> {
    let current = guestAddresses.get(`${namespace}/${device}`);
    if (current === undefined) {
      const out = await ip(ipAddr.showJson(device), namespace);
      const info = (
        JSON.parse(out || "[]") as {
          addr_info?: { local: string; prefixlen: number; scope: string }[];
        }[]
      )[0];
      current = (info?.addr_info ?? [])
        .filter((a) => a.scope === "global")
        .map((a) => `${a.local}/${a.prefixlen}`);
    }
    const held = current;
    const line = (args: string[]): IpBatchLine => ({ args, step: "addresses", subject: device });
    return [
      ...held
        .filter((cidr) => !wanted.includes(cidr))
        .map((cidr) => line(ipAddr.del(cidr, device))),
      ...wanted
        .filter((cidr) => !held.includes(cidr))
        .map((cidr) => line(ipAddr.add(cidr, device))),
    ];
  }

  /** Moves a guest interface's addresses to `wanted` now (a reconcile's repair). */
  async function syncGuestAddresses(
    namespace: string,
    device: string,
    wanted: string[],
  ): Promise<void> {
    guestAddresses.delete(`${namespace}/${device}`);
    await runIpBatch(
      runner,
      "reconcile",
      namespace,
      await guestAddressChanges(namespace, device, wanted),
    );
    guestAddresses.set(`${namespace}/${device}`, [...wanted]);
  }

  const familyOf = (c: RateClass) => (c.control === "connections" ? INET_FAMILY : TABLE_FAMILY);
  const createScript = (change: RateClassChange) =>
    change.create.map((c) => `${renderRateClass(c, familyOf(c), TABLE_NAME)}\n`).join("");

  /** Statements removing classes nobody uses any more; their rules are found by handle. */
  async function removalScript(change: RateClassChange): Promise<string> {
    if (change.remove.length === 0) return "";
    const listings = new Map<string, string>();
    let script = "";
    for (const c of change.remove) {
      const { family, chain } = rateClassChain(c);
      const key = `${family} ${chain}`;
      let listing = listings.get(key);
      if (listing === undefined) {
        listing = await inHost("nft", ["-a", "list", "chain", family, TABLE_NAME, chain]);
        listings.set(key, listing);
      }
      const handles = rateClassRuleHandles(c, listing);
      if (handles.length === 0) throw new Error(`rule of rate class ${rateClassSet(c)} not found`);
      script += `${renderRateClassRemoval(c, TABLE_NAME, handles)}\n`;
    }
    return script;
  }

  /** The plan's ports as the guard needs them (interface indexes read once if unknown). */
  async function guardedPorts(plan: HostPlan): Promise<GuardedPort[]> {
    const out: GuardedPort[] = [];
    for (const port of plan.ports) {
      let ifindex = ifindexes.get(port.name);
      if (ifindex === undefined) {
        const [link] = JSON.parse((await ip(ipLink.showJson(port.name))) || "[]") as {
          ifindex: number;
        }[];
        if (link === undefined) throw new Error(`port ${port.name} not found`);
        ifindex = link.ifindex;
        ifindexes.set(port.name, ifindex);
      }
      out.push({ name: port.name, ifindex, guard: port.guard });
    }
    return out;
  }

  /** Brings the plan's ports to their guard settings, where the host can load the guard. */
  async function applyGuard(plan: HostPlan): Promise<void> {
    if (!guard || !(await guardReady())) return;
    await owners.run([GUARD], () =>
      step(plan, "guard", undefined, async () => guard.apply(await guardedPorts(plan))),
    );
  }

  /**
   * Moves a VM's elements to `elements` (with its rate classes) in one nft transaction, under
   * the NFT key: classes it is first to need are created before, classes it was last to use
   * are removed after, and the bookkeeping changes only once the transaction applied.
   */
  function applyElements(
    plan: HostPlan,
    elements: SetElements,
    rateClasses: readonly RateClass[],
    extra: (used: RateClass[]) => string = () => "",
  ): Promise<void> {
    return owners.run([NFT], () =>
      step(plan, "nftables", undefined, async () => {
        const change = classes.change(plan.vmId, rateClasses);
        const script =
          createScript(change) +
          renderElementChanges(diffElements(applied.get(plan.vmId) ?? {}, elements)) +
          extra(classes.used(plan.vmId)) +
          (await removalScript(change));
        if (script) await transaction(script);
        classes.commit(plan.vmId, rateClasses);
        counters.changed(applied.get(plan.vmId) ?? {}, elements);
        if (Object.keys(elements).length === 0) applied.delete(plan.vmId);
        else applied.set(plan.vmId, elements);
      }),
    );
  }

  /** The guard's drop counters (none where it is not loaded). */
  const readGuard = () =>
    guard ? owners.run([GUARD], () => guard.read()) : Promise.resolve(new Map());

  async function prepareSandbox(): Promise<void> {
    // A namespace made anew: a channel opened before holds the old one.
    if (sbx && (await ensureNamespace(sbx))) closeChannel();
    // Bridged IPv6 must traverse the inet hooks for the stateful half of the policy. In the
    // sandbox's own namespace, every link made from now on takes the ports' sysctls from its
    // defaults (sysctl-writer.ts): creating a VM then writes none.
    const defaults = sbx ? portDefaultEntries().map((e) => `${e.key}=${e.value}`) : [];
    await inHost("sysctl", ["-q", "-w", "net.bridge.bridge-nf-call-ip6tables=1", ...defaults]);
  }

  /** Replaces any earlier tables: creating them first makes the deletes always valid. */
  function baseScript(): string {
    const reset = TABLE_FAMILIES.map(
      (family) => `add table ${family} ${TABLE_NAME}\ndelete table ${family} ${TABLE_NAME}\n`,
    ).join("");
    return `${reset}${renderBaseTable()}`;
  }

  /** Makes the host match exactly `plans`; callers hold NFT and the plans' bridge keys. */
  /**
   * One transaction rebuilds the tables with every VM and blocked source: there is no moment
   * at which a VM's traffic passes unfiltered.
   */
  async function rebuildTables(plans: HostPlan[], blockedSources: string[]): Promise<void> {
    const blocked =
      blockedSources.length > 0
        ? `add element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${blockedSources.join(", ")} }\n`
        : "";
    classes.clear();
    // The rate classes first (their chains and sets), then every VM's elements set by set.
    const classScripts = plans.map((plan) => {
      const change = classes.change(plan.vmId, plan.rateClasses);
      classes.commit(plan.vmId, plan.rateClasses);
      return createScript(change);
    });
    const elements = [
      ...classScripts,
      renderElementChanges({ add: mergeSetElements(plans.map((p) => p.elements)), remove: {} }),
    ];
    applied.clear();
    try {
      await nft(baseScript() + elements.join("") + blocked + boostScript());
    } catch (error) {
      // The old tables stay as they were; what the driver knows of them is gone: rebuild.
      classes.clear();
      throw error;
    }
    for (const plan of plans) applied.set(plan.vmId, plan.elements);
  }

  async function reconcileHost(
    plans: HostPlan[],
    blockedSources: string[],
  ): Promise<ReconcileResult> {
    await prepareSandbox();
    const namespacesNow = await namespaces();
    let links = await sandboxLinks();
    const wanted = new Set(plans.flatMap((p) => p.ports.map((port) => port.name)));
    const wantedNamespaces = new Set(plans.map((p) => p.guestNamespace));
    // What the driver knew is read again from the kernel.
    guestAddresses.clear();
    knownBridges.clear();
    bridgeSnooping.clear();
    const indexesOf = () => {
      ifindexes.clear();
      for (const [name, link] of links) {
        if (link.kind === "bridge") knownBridges.add(name);
        if (wanted.has(name)) ifindexes.set(name, link.ifindex);
      }
      ifindexesKnown = true;
    };
    indexesOf();
    // Read before anything is made: a guest this reconcile finishes (its namespace existed, half
    // made) gets its mark settled by ensureLinks, but must still be looked inside below (its
    // loopback, say, was never brought up).
    const settled = linux ? new Map<string, string>() : await marks.fingerprints();
    let created = 0;
    for (const plan of plans) {
      const complete =
        (linux || namespacesNow.has(plan.guestNamespace)) &&
        plan.links.every((link) => link.kind !== "bridge" || links.has(link.name)) &&
        plan.ports.every((port) => links.has(port.name));
      if (!complete) {
        // Its missing ports are made again (the ports were counted on their bridges already).
        for (const port of plan.ports)
          if (!links.has(port.name)) bridgePorts.remove(port.bridge, port.name);
        await ensureLinks(plan, []);
        created++;
      }
    }
    // Links may exist half made (metald killed between the commands that make them): read them
    // again (with what was just created) and finish every plan's.
    if (created > 0) {
      links = await sandboxLinks();
      indexesOf();
    }
    // Only the guests whose mark does not record them finished as planned are entered (one
    // process each): a stop while a guest was being made or changed leaves its mark unfinished.
    const unsettled = new Set(
      linux ? [] : plans.filter((plan) => settled.get(plan.guestNamespace) !== fingerprint(plan)),
    );
    const guests = await guestNamespaces([...unsettled].map((p) => p.guestNamespace));
    for (const plan of unsettled) {
      if (await completeLinks(plan, links, guests)) created++;
      if (guests.has(plan.guestNamespace))
        await marks.settle(plan.guestNamespace, fingerprint(plan));
    }
    // The host side of the others (ports off their bridge or down, a bridge down): no process
    // unless something is to be repaired.
    for (const plan of plans)
      if (!unsettled.has(plan) && (await completeLinks(plan, links, undefined))) created++;
    for (const plan of plans)
      for (const port of plan.ports)
        if (!linux)
          guestAddresses.set(`${plan.guestNamespace}/${port.guestInterface}`, [...port.addresses]);
    // Every port's VLANs as planned (nothing runs where the kernel has no VLAN filtering).
    await vlans.reload(plans.flatMap(vlanPorts));
    // Three independent parts of the kernel at once (at 5,000 VMs: ~1.1 s of sysctls, ~2.7 s
    // of nft, ~0.5 s of guard); the reconcile answers after all three, and fails if one did.
    const done = await Promise.allSettled([
      // Every plan's sysctls again, a few commands in all: a port made just before metald was
      // killed may lack them (the host end would accept router advertisements from its guest).
      sysctls.write(plans.flatMap((plan) => plan.sysctls)),
      rebuildTables(plans, blockedSources),
      // The guard loaded afresh, on exactly the plans' ports that need it.
      (async () => {
        if (!guard || !(await guardReady())) return;
        const ports: GuardedPort[] = [];
        for (const plan of plans) ports.push(...(await guardedPorts(plan)));
        await owners.run([GUARD], () => guard.reload(ports));
      })(),
    ]);
    for (const result of done) if (result.status === "rejected") throw result.reason;
    // Leftovers of VMs that no longer exist (deleted while metald was down, or half-created),
    // in one batch.
    const removed: string[] = [];
    for (const [name, link] of links) {
      // Only ports of metald's naming (tapName) and kind are ever removed.
      const ours =
        /^tap[0-9a-f]{8}[0-9]{1,2}$/.test(name) && link.kind === (linux ? "tun" : "veth");
      if (ours && !wanted.has(name)) removed.push(name);
    }
    await runIpBatch(
      runner,
      "reconcile",
      sbx,
      removed.map((name) => ({ args: ipLink.delete(name), step: "remove", subject: name })),
    );
    const marked = linux ? new Set<string>() : await marks.list();
    for (const ns of marked) {
      if (wantedNamespaces.has(ns)) continue;
      if (namespacesNow.has(ns)) {
        await deleteGuestNamespace(ns);
        removed.push(ns);
      } else {
        await marks.unmark(ns);
      }
    }
    // Tap ports carry no guest state: their runtime (Firecracker) reports its own.
    const guestsDown = new Set(
      (linux ? [] : plans)
        .filter((plan) => plan.ports.some((port) => links.get(port.name)?.operstate !== "UP"))
        .map((plan) => plan.vmId),
    );
    return { created, removed, guestsDown };
  }

  const sandboxLinks = () => readHostLinks((args) => ip(args));
  const guestNamespaces = (names: string[]) =>
    readGuestNamespaces((args, namespace) => ip(args, namespace), names);

  /**
   * Finishes the links of a plan whose links all exist but may be half made (metald killed
   * between the commands that make them): a bridge or port down, a port off its bridge, a
   * guest namespace whose loopback is not yet up (nor named after its owner), a guest interface
   * without its MAC or addresses. True if anything had to be done.
   */
  async function completeLinks(
    plan: HostPlan,
    links: Map<string, HostLink>,
    guests: Map<string, GuestNamespace> | undefined,
  ): Promise<boolean> {
    let repaired = false;
    const guest = guests?.get(plan.guestNamespace);
    if (guest && guest.owner !== owner) {
      await ip(ipLink.setUpWithAlias("lo", owner), plan.guestNamespace);
      repaired = true;
    }
    for (const link of plan.links) {
      const bridge = links.get(link.name);
      if (link.kind !== "bridge" || !bridge || bridge.up) continue;
      await ip(ipLink.setUp(link.name));
      bridge.up = true;
      repaired = true;
    }
    for (const port of plan.ports) {
      const host = links.get(port.name);
      if (host?.master !== port.bridge || !host.up) {
        await ip(ipLink.setMasterUp(port.name, port.bridge));
        repaired = true;
      }
      // Without a reading of the guest (its mark records it finished), the host side only.
      if (linux || guests === undefined) continue;
      const iface = guest?.interfaces.get(port.guestInterface);
      if (iface && iface.mac !== port.mac) {
        await ip(ipLink.setAddress(port.guestInterface, port.mac), plan.guestNamespace);
        repaired = true;
      }
      const held = iface?.addresses ?? [];
      if (held.length !== port.addresses.length || held.some((a) => !port.addresses.includes(a))) {
        await syncGuestAddresses(plan.guestNamespace, port.guestInterface, port.addresses);
        repaired = true;
      }
    }
    return repaired;
  }

  return {
    name: linux ? "linux" : "sandbox",
    namespace: sbx,
    linkExists: (name) => linkExists(name, sbx),

    async compat() {
      const caps = await probe();
      const problem = guard ? await guard.unavailable() : "the eBPF port guard is turned off";
      const notes = [...caps.notes];
      if (problem)
        notes.push(
          `no eBPF port guard (max_chain_length and RA option filtering not enforced): ${problem}`,
        );
      return {
        ...caps,
        bridgeVlanFiltering: options.bridgeVlanFiltering ?? caps.bridgeVlanFiltering,
        notes,
        portGuard: problem === undefined,
      };
    },

    async bridgeMldSnooping(bridge) {
      const known = bridgeSnooping.get(bridge);
      if (known !== undefined) return known;
      if (!(await bridgeExists(bridge))) return undefined;
      const out = await ip(ipLink.showDetailsJson(bridge));
      const info = (
        JSON.parse(out || "[]") as { linkinfo?: { info_data?: { mcast_snooping?: number } } }[]
      )[0]?.linkinfo?.info_data;
      if (info?.mcast_snooping === undefined) return undefined;
      bridgeSnooping.set(bridge, info.mcast_snooping === 1);
      return info.mcast_snooping === 1;
    },

    async init() {
      await prepareSandbox();
      await owners.run([NFT], async () => {
        await nft(baseScript());
        applied.clear();
        classes.clear();
        counters.clear();
      });
    },

    async applyVm(plan) {
      // A bridge that cannot take the ports refuses before any command (checked again under the
      // bridge's key, where it counts).
      bridgePorts.check(plan.vmId, plan.ports);
      const previous = { elements: applied.get(plan.vmId) ?? {}, classes: classes.used(plan.vmId) };
      // The elements name ports, not interface indexes, so they are programmed while the links are
      // made (two processes at once instead of one after the other); the call answers after both.
      const [links, elements] = await Promise.allSettled([
        applyLinks(plan),
        applyElements(plan, plan.elements, plan.rateClasses),
      ]);
      try {
        if (links.status === "rejected") throw links.reason;
        if (elements.status === "rejected") throw elements.reason;
        await applyGuard(plan);
      } catch (error) {
        // Nothing of the plan remains: its links removed, the VM's elements as they were.
        if (links.status === "fulfilled")
          await owners.run(bridgeKeys(plan), async () => {
            for (const task of links.value) await task().catch(() => undefined);
          });
        if (elements.status === "fulfilled")
          await applyElements(plan, previous.elements, previous.classes).catch(() => undefined);
        throw error;
      }
    },

    reconcile: (plans, blockedSources) =>
      owners.run([NFT, ...new Set(plans.flatMap(bridgeKeys))], () => {
        // The tables are rebuilt: every count starts again.
        counters.clear();
        // Exactly the plans' ports remain on metald's bridges.
        bridgePorts.clear();
        for (const plan of plans)
          for (const port of plan.ports) bridgePorts.add(port.bridge, port.name);
        return reconcileHost(plans, blockedSources);
      }),
    async updateBlockedSources(add, remove) {
      const lines = [
        ...(remove.length > 0
          ? [`delete element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${remove.join(", ")} }`]
          : []),
        ...(add.length > 0
          ? [`add element ${IP6_FAMILY} ${TABLE_NAME} blocked_sources { ${add.join(", ")} }`]
          : []),
      ];
      if (lines.length > 0)
        await owners.run([NFT], async () => {
          await transaction(`${lines.join("\n")}\n`);
          counters.invalidate("blocked_sources");
        });
    },

    async removeVm(plan) {
      // The VM's token buckets and connection counts go with it, in the classes it used.
      const meters = (used: RateClass[]) =>
        renderMeterCleanup(
          used,
          plan.ports.map((p) => p.name),
          plan.ports.flatMap((p) => [
            ...p.addresses.map((a) => a.slice(0, a.indexOf("/"))),
            p.linkLocal,
          ]),
          familyOf,
          TABLE_NAME,
        );
      await applyElements(plan, {}, [], meters);
      if (guard && plan.ports.some((p) => ifindexes.has(p.name)))
        await owners.run([GUARD], () =>
          step(plan, "guard", undefined, () =>
            guard.forget(
              plan.ports.flatMap((p) => {
                const ifindex = ifindexes.get(p.name);
                return ifindex === undefined ? [] : [{ name: p.name, ifindex, guard: undefined }];
              }),
            ),
          ),
        );
      await owners.run(bridgeKeys(plan), () =>
        step(plan, "remove", undefined, async () => {
          for (const port of plan.ports) {
            // A port already gone (with its guest namespace, or by hand) is what was asked.
            await ip(ipLink.delete(port.name)).catch((error: unknown) => {
              if (!(error instanceof RunError && /Cannot find device/.test(error.stderr)))
                throw error;
            });
            bridgePorts.remove(port.bridge, port.name);
            ifindexes.delete(port.name);
            vlans.forget(port.name);
            guestAddresses.delete(`${plan.guestNamespace}/${port.guestInterface}`);
          }
          if (!linux && (await namespaceExists(plan.guestNamespace))) {
            await deleteGuestNamespace(plan.guestNamespace);
          }
          for (const bridge of new Set(plan.ports.map((p) => p.bridge)))
            await removeBridgeIfUnused(bridge);
        }),
      );
    },

    async portIndexes() {
      // Known since the last reconcile, kept as ports come and go: no listing of every link.
      if (ifindexesKnown) return new Map([...ifindexes].map(([name, index]) => [index, name]));
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
      await owners.run([NFT], async () => {
        boost = { ports: [...ports], addresses: canonical };
        await nft(boostScript());
      });
    },

    readCounters: () =>
      owners.run([NFT], async () => mergeCounters(await counters.read(), await readGuard())),
    lastCounters: () => mergeCounters(counters.last(), guard?.last() ?? new Map()),
    readActiveCounters: () =>
      owners.run([NFT], async () => {
        await counters.read();
        return mergeCounters(counters.lastActive(), await readGuard());
      }),
    lastActiveCounters: () => mergeCounters(counters.lastActive(), guard?.last() ?? new Map()),
    readVmCounters: (elements) =>
      owners.run([NFT], async () => {
        await counters.read();
        return mergeCounters(await counters.readElements(elements), await readGuard());
      }),

    async destroy(guestNamespaces) {
      const existing = await namespaces();
      for (const ns of new Set([...guestNamespaces, ...(await marks.list())])) {
        if (existing.has(ns)) await deleteGuestNamespace(ns);
        else await marks.unmark(ns);
      }
      closeChannel();
      if (sbx && existing.has(sbx)) await runner.run("ip", ipNetns.delete(sbx));
      applied.clear();
      knownBridges.clear();
      bridgeSnooping.clear();
      ifindexes.clear();
      ifindexesKnown = false;
      guestAddresses.clear();
      counters.clear();
      bridgePorts.clear();
      vlans.clear();
      await owners.run([GUARD], async () => guard?.unload());
    },
  };
}
