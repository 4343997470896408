// A Linux bridge holds at most 1,024 ports (BR_MAX_PORTS): the kernel refuses the next with
// "RTNETLINK answers: Exchange full". The driver counts the ports it put on each bridge and
// refuses a VM that would pass the limit before it changes anything on the host.

/** The most ports one Linux bridge holds (BR_MAX_PORTS in the kernel). */
export const BRIDGE_PORT_LIMIT = 1024;

export class BridgeFullError extends Error {
  override name = "BridgeFullError";
  constructor(
    readonly vmId: string,
    readonly bridge: string,
    readonly limit: number = BRIDGE_PORT_LIMIT,
  ) {
    super(
      `vm ${vmId}: bridge ${bridge} already holds ${limit} ports, the most a Linux bridge can hold; no change was made (spread VMs over more tenant bridges)`,
    );
  }
}

/** The ports metald put on each bridge, as the driver knows them (no link listing). */
export interface BridgePorts {
  /** Throws BridgeFullError if adding `ports` (port → bridge) passes a bridge's limit. */
  check(vmId: string, ports: readonly { name: string; bridge: string }[]): void;
  add(bridge: string, port: string): void;
  /** Whether metald put `port` on `bridge` (and has not removed it since). */
  has(bridge: string, port: string): boolean;
  remove(bridge: string, port: string): void;
  clear(): void;
}

export function createBridgePorts(limit = BRIDGE_PORT_LIMIT): BridgePorts {
  const byBridge = new Map<string, Set<string>>();
  return {
    check(vmId, ports) {
      const adding = new Map<string, number>();
      for (const port of ports)
        if (!byBridge.get(port.bridge)?.has(port.name))
          adding.set(port.bridge, (adding.get(port.bridge) ?? 0) + 1);
      for (const [bridge, n] of adding)
        if ((byBridge.get(bridge)?.size ?? 0) + n > limit)
          throw new BridgeFullError(vmId, bridge, limit);
    },
    add(bridge, port) {
      const ports = byBridge.get(bridge) ?? new Set<string>();
      ports.add(port);
      byBridge.set(bridge, ports);
    },
    has: (bridge, port) => byBridge.get(bridge)?.has(port) ?? false,
    remove(bridge, port) {
      const ports = byBridge.get(bridge);
      ports?.delete(port);
      if (ports?.size === 0) byBridge.delete(bridge);
    },
    clear: () => byBridge.clear(),
  };
}
