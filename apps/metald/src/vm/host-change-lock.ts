// Keeps a reconcile from seeing the host halfway through a change. A VM change (create,
// reconfigure, quarantine, delete, boot, shutdown) holds the host shared from storing its
// desired state until the host applied it (or the rollback finished); a reconcile holds it
// exclusive from listing the database until the host matches the list. Changes of one VM also
// run one at a time: a delete must not remove a VM while an update of it is still applying.
export interface HostChangeLock {
  /**
   * Runs a change of `vmId`: alongside changes of other VMs, after the earlier changes of the
   * same VM, and never while a reconcile runs.
   */
  shared<T>(vmId: string, task: () => Promise<T>): Promise<T>;
  /**
   * Runs `task` once the changes in progress have finished. Changes that arrive meanwhile wait
   * for it (so a stream of changes cannot keep a reconcile waiting for ever).
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

interface Waiter {
  exclusive: boolean;
  grant: () => void;
}

export function createHostChangeLock(): HostChangeLock {
  let sharedHolders = 0;
  let exclusiveHeld = false;
  // Granted in arrival order: a shared request behind a waiting exclusive one waits too.
  const queue: Waiter[] = [];
  // Per VM, the end of its last change; the last holder forgets it.
  const vmTails = new Map<string, Promise<unknown>>();

  function grantWaiting(): void {
    for (let next = queue[0]; next && !exclusiveHeld; next = queue[0]) {
      if (next.exclusive) {
        if (sharedHolders > 0) return;
        exclusiveHeld = true;
      } else {
        sharedHolders++;
      }
      queue.shift();
      next.grant();
    }
  }

  async function hold<T>(exclusive: boolean, task: () => Promise<T>): Promise<T> {
    await new Promise<void>((grant) => {
      queue.push({ exclusive, grant });
      grantWaiting();
    });
    try {
      return await task();
    } finally {
      if (exclusive) exclusiveHeld = false;
      else sharedHolders--;
      grantWaiting();
    }
  }

  return {
    shared(vmId, task) {
      // The VM's turn first, then the host: a change waiting for its VM holds nothing.
      const before = vmTails.get(vmId) ?? Promise.resolve();
      const done = before.then(() => hold(false, task));
      const settled = done.catch(() => undefined);
      vmTails.set(vmId, settled);
      void settled.then(() => {
        if (vmTails.get(vmId) === settled) vmTails.delete(vmId);
      });
      return done;
    },

    exclusive: (task) => hold(true, task),
  };
}
