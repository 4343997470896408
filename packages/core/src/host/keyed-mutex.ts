// Runs tasks one at a time per key, in arrival order: the owner of a shared kernel object (a
// tenant bridge, the nftables tables) holds its key while it checks, creates or removes it.
export interface KeyedMutex {
  /** Runs `task` once every earlier task holding any of `keys` has finished. */
  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T>;
}

export function createKeyedMutex(): KeyedMutex {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run(keys, task) {
      const unique = [...new Set(keys)];
      const before = unique.map((k) => tails.get(k));
      const done = Promise.all(before.map((p) => p?.catch(() => undefined))).then(task);
      const settled = done.catch(() => undefined);
      for (const key of unique) tails.set(key, settled);
      void settled.then(() => {
        // The last holder of a key forgets it, so the map holds only keys in use.
        for (const key of unique) if (tails.get(key) === settled) tails.delete(key);
      });
      return done;
    },
  };
}
