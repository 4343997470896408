// The host side of bridge VLANs (bridge-vlans.ts): what each port holds is kept in memory, so
// that a change runs commands only when a port's VLANs differ from it — one `ip -batch`
// turning VLAN filtering on for bridges that do not have it yet, then one `bridge -batch`.
// Where the kernel has no bridge VLAN filtering nothing runs (the fields are reported as not
// enforced instead).
import {
  bridgeVlanLines,
  DEFAULT_PORT_VLANS,
  type PortVlans,
  parseBridgeVlans,
  sameVlans,
  wantsVlans,
} from "./bridge-vlans.js";
import { type CommandRunner, RunError } from "./command-runner.js";
import { HostApplyError } from "./host-apply-error.js";
import { runIpBatch } from "./ip-batch.js";

export interface VlanPort {
  name: string;
  bridge: string;
  vlans: PortVlans;
}

export interface PortVlanOptions {
  runner: CommandRunner;
  /** The namespace holding the bridges (the sandbox's); undefined: the host's own. */
  namespace: string | undefined;
  /** Whether the kernel has bridge VLAN filtering (probed once by the driver). */
  supported: () => Promise<boolean>;
}

export interface PortVlanProgrammer {
  /**
   * Brings these ports to their VLANs. Returns the ports' previous VLANs (to restore them if
   * the rest of the change fails). Callers hold the ports' bridge keys.
   */
  apply(vmId: string, ports: readonly VlanPort[]): Promise<VlanPort[]>;
  /** A port that is gone: a later port of that name starts from the default. */
  forget(port: string): void;
  /** Reads what the kernel holds again (a reconcile), then brings the ports to their VLANs. */
  reload(ports: readonly VlanPort[]): Promise<void>;
  clear(): void;
}

export function createPortVlanProgrammer(options: PortVlanOptions): PortVlanProgrammer {
  const { runner, namespace } = options;
  const held = new Map<string, PortVlans>();
  const filtering = new Set<string>();

  async function bridgeBatch(vmId: string, lines: string[][], subject: string): Promise<void> {
    try {
      await runner.run("bridge", ["-batch", "-"], {
        input: lines.map((line) => `${line.join(" ")}\n`).join(""),
        netns: namespace,
      });
    } catch (error) {
      if (!(error instanceof RunError)) throw error;
      throw new HostApplyError(vmId, "vlans", subject, error);
    }
  }

  async function apply(vmId: string, ports: readonly VlanPort[]): Promise<VlanPort[]> {
    const changes = ports.filter(
      (p) => !sameVlans(p.vlans, held.get(p.name) ?? DEFAULT_PORT_VLANS),
    );
    if (changes.length === 0 || !(await options.supported())) return [];
    const previous = changes.map((p) => ({ ...p, vlans: held.get(p.name) ?? DEFAULT_PORT_VLANS }));
    const bridges = [...new Set(changes.map((p) => p.bridge))].filter((b) => !filtering.has(b));
    await runIpBatch(
      runner,
      vmId,
      namespace,
      bridges.map((bridge) => ({
        args: ["link", "set", "dev", bridge, "type", "bridge", "vlan_filtering", "1"],
        step: "vlans" as const,
        subject: bridge,
      })),
    );
    for (const bridge of bridges) filtering.add(bridge);
    const lines = previous.flatMap((had, i) =>
      bridgeVlanLines(had.name, (changes[i] as VlanPort).vlans, had.vlans),
    );
    await bridgeBatch(vmId, lines, changes.map((p) => p.name).join(", "));
    for (const port of changes) held.set(port.name, port.vlans);
    return previous;
  }

  return {
    apply,
    forget: (port) => held.delete(port),
    async reload(ports) {
      held.clear();
      filtering.clear();
      // Without a port that has VLANs nothing is read (nor probed): a port's VLANs change only
      // through metald, so none holds any that its plan no longer asks for.
      if (!ports.some((p) => wantsVlans(p.vlans)) || !(await options.supported())) return;
      const out = await runner.run("bridge", ["-j", "vlan", "show"], { netns: namespace });
      for (const [name, vlans] of parseBridgeVlans(out)) held.set(name, vlans);
      await apply("reconcile", ports);
    },
    clear() {
      held.clear();
      filtering.clear();
    },
  };
}
