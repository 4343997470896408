// Host-wide blocked sources belong to the fleet: a source blocked through any host is a row of
// the shared table, and every host programs every row. Each host keeps what it programmed and
// brings its kernel to the table: at once for a change made through it (the routes), on the
// heartbeat's interval for changes made through other hosts, and wholesale at a reconcile.
// Every apply runs under the blocked-sources lock key, so applies never interleave.
import type { HostDriver } from "@metald/core";
import type { BlockedSourceRepository } from "@metald/db";
import type { HostChangeLock } from "../vm/host-change-lock.js";

/**
 * The lock key blocked-source changes share: one at a time among themselves (an add and a
 * remove of one source apply in the order they came), alongside VM changes. No VM id has a
 * space, so none shares it.
 */
export const BLOCKED_SOURCES_LOCK_KEY = "host blocked-sources";

export interface BlockedSourceChange {
  added: string[];
  removed: string[];
}

export interface BlockedSourceSync {
  /** Brings the kernel to the table's rows; the caller holds BLOCKED_SOURCES_LOCK_KEY. */
  applyHeld(): Promise<BlockedSourceChange>;
  /** As applyHeld, taking the lock key itself (the heartbeat's tick). */
  apply(): Promise<BlockedSourceChange>;
  /**
   * Reads the rows for a reconcile, which programs exactly them (it holds the host exclusively).
   * Should the reconcile fail, the next one starts again from the table.
   */
  readForReconcile(): Promise<string[]>;
}

export interface BlockedSourceSyncOptions {
  repository: Pick<BlockedSourceRepository, "list">;
  driver: Pick<HostDriver, "updateBlockedSources">;
  hostLock: HostChangeLock;
}

export function createBlockedSourceSync(options: BlockedSourceSyncOptions): BlockedSourceSync {
  const { repository, driver, hostLock } = options;
  // What this host's kernel holds, as far as metald programmed it.
  let programmed = new Set<string>();
  const rows = async () => new Set((await repository.list()).map((b) => b.source));

  async function applyHeld(): Promise<BlockedSourceChange> {
    const wanted = await rows();
    const added = [...wanted].filter((s) => !programmed.has(s));
    const removed = [...programmed].filter((s) => !wanted.has(s));
    if (added.length > 0 || removed.length > 0) await driver.updateBlockedSources(added, removed);
    programmed = wanted;
    return { added, removed };
  }

  return {
    applyHeld,
    apply: () => hostLock.shared(BLOCKED_SOURCES_LOCK_KEY, applyHeld),
    async readForReconcile() {
      programmed = await rows();
      return [...programmed];
    },
  };
}
