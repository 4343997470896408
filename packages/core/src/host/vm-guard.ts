// The eBPF port guard on the host: loads the clang-built classifier once per metald host side
// (its programs and maps pinned under bpffs, in a directory named after that side), attaches
// it to the ports whose VM has one of its settings, and keeps each port's settings and drop
// counters in the pinned maps. A change is one native/guard-ports process (settings, then
// attachments): not `tc`, which lists every link of the namespace before it resolves one name
// (~40 ms at 6,000 links), nor a second process for bpftool. Counters are read with bpftool.
import { access, mkdir, rm, statfs } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  attachOp,
  detachOp,
  dropDeleteOp,
  guardCounters,
  type PortGuard,
  parseGuardDrops,
  settingsDeleteOp,
  settingsUpdateOp,
} from "../bpf/port-guard.js";
import type { CommandRunner } from "./command-runner.js";
import type { PortCounters } from "./set-counters.js";

/** Where the build puts the object (packages/core/dist/bpf), from src/ and dist/ alike. */
export const DEFAULT_GUARD_OBJECT = fileURLToPath(
  new URL("../../dist/bpf/vm_guard.o", import.meta.url),
);
/** The program that attaches it and writes its settings (native/guard-ports.c), built beside. */
export const DEFAULT_GUARD_PORTS = fileURLToPath(
  new URL("../../dist/native/guard-ports", import.meta.url),
);
const BPFFS = "/sys/fs/bpf";
const BPF_FS_MAGIC = 0xcafe4a11;

export interface VmGuardOptions {
  runner: CommandRunner;
  /** The network namespace holding the ports (the sandbox's); undefined: the host's own. */
  namespace: string | undefined;
  /** The compiled classifier (default: DEFAULT_GUARD_OBJECT). */
  object?: string;
  /** The compiled guard-ports (default: DEFAULT_GUARD_PORTS). */
  guardPorts?: string;
  /** bpffs directory of this host side's pins (default /sys/fs/bpf/metald/<namespace|host>). */
  pinDir?: string;
}

/** A port as the guard needs it: its name, interface index and settings (none: no guard). */
export interface GuardedPort {
  name: string;
  ifindex: number;
  guard: PortGuard | undefined;
}

export interface VmGuard {
  readonly pinDir: string;
  /** Why the guard cannot run here (no object, no bpffs, the load refused), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** Loads the program afresh (every port's settings and counts start again). */
  reload(ports: GuardedPort[]): Promise<void>;
  /** Brings these ports to their settings: attached and set, or detached and cleared. */
  apply(ports: GuardedPort[]): Promise<void>;
  /** Clears these ports' settings and counters (their links are about to go). */
  forget(ports: GuardedPort[]): Promise<void>;
  /** The drop counters of the guarded ports, by port name. */
  read(): Promise<PortCounters>;
  /** The last reading; runs no command. */
  last(): PortCounters;
  /** Detaches from nothing (links go with their namespace) and removes the pins. */
  unload(): Promise<void>;
}

export function createVmGuard(options: VmGuardOptions): VmGuard {
  const { runner, namespace } = options;
  const object = options.object ?? DEFAULT_GUARD_OBJECT;
  const guardPorts = options.guardPorts ?? DEFAULT_GUARD_PORTS;
  const pinDir = options.pinDir ?? `${BPFFS}/metald/${namespace ?? "host"}`;
  // guard-ports takes words separated by spaces.
  if (/\s/.test(pinDir))
    throw new Error(`guard pin directory ${JSON.stringify(pinDir)}: no spaces`);
  const settingsMap = `${pinDir}/settings`;
  const dropsMap = `${pinDir}/drops`;
  // ifindex → the port's name and the settings line last written for it (a change that leaves
  // a port's settings as they are writes nothing); ports the program is attached to.
  const written = new Map<number, { name: string; line: string }>();
  const attached = new Set<string>();
  let loaded = false;
  let lastReading: PortCounters = new Map();
  let problem: Promise<string | undefined> | undefined;

  // In the ports' namespace (the runner's netns changes only the network: the pins stay seen).
  const program = (lines: string[]) =>
    lines.length === 0
      ? Promise.resolve("")
      : runner.run(guardPorts, [], { input: `${lines.join("\n")}\n`, netns: namespace });

  async function mountBpffs(): Promise<void> {
    const fs = await statfs(BPFFS).catch(() => undefined);
    if (fs && fs.type === BPF_FS_MAGIC) return;
    await runner.run("mount", ["-t", "bpf", "bpf", BPFFS]);
  }

  async function load(): Promise<void> {
    await mountBpffs();
    await rm(pinDir, { recursive: true, force: true });
    await mkdir(pinDir, { recursive: true });
    await runner.run("bpftool", [
      "prog",
      "loadall",
      object,
      pinDir,
      "type",
      "classifier",
      "pinmaps",
      pinDir,
    ]);
    written.clear();
    attached.clear();
    lastReading = new Map();
    loaded = true;
  }

  async function probe(): Promise<string | undefined> {
    for (const [file, what] of [
      [object, "the classifier"],
      [guardPorts, "guard-ports"],
    ] as const) {
      try {
        await access(file);
      } catch {
        return `${what} ${file} was not built (clang missing at build time?)`;
      }
    }
    try {
      if (!loaded) await load();
      return undefined;
    } catch (error) {
      return `the classifier does not load: ${(error as Error).message}`;
    }
  }

  async function apply(ports: GuardedPort[]): Promise<void> {
    if (ports.every((p) => p.guard === undefined && !attached.has(p.name))) return;
    if (!loaded) await load();
    // Settings first: a program attached before its port's settings would pass everything
    // meanwhile, as no program would.
    const settings: string[] = [];
    const attachments: string[] = [];
    const detached: GuardedPort[] = [];
    const guarded = new Map<number, { name: string; line: string }>();
    for (const port of ports) {
      if (port.guard) {
        const line = settingsUpdateOp(settingsMap, port.ifindex, port.guard);
        guarded.set(port.ifindex, { name: port.name, line });
        if (written.get(port.ifindex)?.line !== line) settings.push(line);
        if (!attached.has(port.name)) attachments.push(attachOp(port.ifindex, pinDir));
      } else if (attached.has(port.name)) {
        attachments.push(detachOp(port.ifindex));
        detached.push(port);
      }
    }
    await program([...settings, ...attachments]);
    for (const [ifindex, settings] of guarded) {
      written.set(ifindex, settings);
      attached.add(settings.name);
    }
    if (detached.length > 0) await forget(detached);
  }

  async function forget(ports: GuardedPort[]): Promise<void> {
    if (!loaded) return;
    const gone = new Set(ports.map((p) => p.ifindex));
    const lines = ports
      .filter((p) => written.has(p.ifindex))
      .map((p) => settingsDeleteOp(settingsMap, p.ifindex));
    // An interface index is reused by a later link: its counts must not carry over.
    const drops = parseGuardDrops(
      await runner.run("bpftool", ["-j", "map", "dump", "pinned", dropsMap]),
    );
    for (const drop of drops)
      if (gone.has(drop.ifindex)) lines.push(dropDeleteOp(dropsMap, drop.ifindex, drop.reason));
    await program(lines);
    for (const port of ports) {
      written.delete(port.ifindex);
      attached.delete(port.name);
      lastReading.delete(port.name);
    }
  }

  return {
    pinDir,
    unavailable() {
      problem ??= probe();
      return problem;
    },

    async reload(ports) {
      await load();
      // Ports that had the old program keep it until detached: detach from every port
      // without settings (most have no clsact qdisc: nothing to do for those).
      await program(
        ports.filter((p) => p.guard === undefined).map((p) => detachOp(p.ifindex)),
      ).catch(() => undefined);
      await apply(ports);
    },

    apply,
    forget,

    async read() {
      if (!loaded || attached.size === 0) return lastReading;
      const out = await runner.run("bpftool", ["-j", "map", "dump", "pinned", dropsMap]);
      lastReading = guardCounters(parseGuardDrops(out), (ifindex) => written.get(ifindex)?.name);
      return lastReading;
    },

    last: () => lastReading,

    async unload() {
      await rm(pinDir, { recursive: true, force: true });
      written.clear();
      attached.clear();
      lastReading = new Map();
      loaded = false;
      problem = undefined;
    },
  };
}
