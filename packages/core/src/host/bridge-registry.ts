// The bridges metald created on a host. Only these are ever deleted by metald: a bridge the
// operator made (an uplink, docker0, one listed for a tenant) stays whatever its ports.

export interface BridgeRegistry {
  /** Whether metald created this bridge (and has not deleted it since). */
  owns(bridge: string): Promise<boolean>;
  /** Records a bridge metald is about to create for a VM of `tenantId`. */
  record(bridge: string, tenantId: string): Promise<void>;
  /** Forgets a bridge metald deleted, or recorded and then failed to create. */
  forget(bridge: string): Promise<void>;
}

/** A registry that lasts as long as the process (drivers given no database). */
export function createMemoryBridgeRegistry(): BridgeRegistry {
  const owned = new Map<string, string>();
  return {
    owns: async (bridge) => owned.has(bridge),
    record: async (bridge, tenantId) => {
      owned.set(bridge, tenantId);
    },
    forget: async (bridge) => {
      owned.delete(bridge);
    },
  };
}
