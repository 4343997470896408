// Which VMs use which rate class: a class is created with its first user and removed with its
// last, so the tables hold exactly the classes live VMs need. Pure bookkeeping: the driver asks
// what a change needs, applies it in one nft transaction, and only then commits it here.
import { type RateClass, rateClassSet } from "./rate-classes.js";

export interface RateClassChange {
  /** Classes to create before the VM's elements refer to them. */
  create: RateClass[];
  /** Classes nobody else uses any more, to remove after the VM's elements left them. */
  remove: RateClass[];
}

export interface RateClassRegistry {
  /** What the tables must gain and lose for `vmId` to use exactly `classes` ([] = none). */
  change(vmId: string, classes: readonly RateClass[]): RateClassChange;
  /** Records that the tables now hold `vmId` with exactly `classes`. */
  commit(vmId: string, classes: readonly RateClass[]): void;
  /** The classes the tables hold. */
  present(): RateClass[];
  /** The classes `vmId` uses now. */
  used(vmId: string): RateClass[];
  clear(): void;
}

export function createRateClassRegistry(): RateClassRegistry {
  const users = new Map<string, { rateClass: RateClass; vms: Set<string> }>();
  const byVm = new Map<string, RateClass[]>();
  const unique = (classes: readonly RateClass[]) => [
    ...new Map(classes.map((c) => [rateClassSet(c), c])).values(),
  ];
  return {
    change(vmId, classes) {
      const wanted = new Set(classes.map(rateClassSet));
      const create = unique(classes).filter((c) => !users.has(rateClassSet(c)));
      const remove = (byVm.get(vmId) ?? []).filter((c) => {
        const set = rateClassSet(c);
        const vms = users.get(set)?.vms;
        return !wanted.has(set) && vms !== undefined && vms.size === 1 && vms.has(vmId);
      });
      return { create, remove };
    },
    commit(vmId, classes) {
      for (const c of byVm.get(vmId) ?? []) {
        const set = rateClassSet(c);
        const entry = users.get(set);
        entry?.vms.delete(vmId);
        if (entry && entry.vms.size === 0) users.delete(set);
      }
      const now = unique(classes);
      if (now.length === 0) byVm.delete(vmId);
      else byVm.set(vmId, now);
      for (const c of now) {
        const set = rateClassSet(c);
        const entry = users.get(set) ?? { rateClass: c, vms: new Set<string>() };
        entry.vms.add(vmId);
        users.set(set, entry);
      }
    },
    present: () => [...users.values()].map((e) => e.rateClass),
    used: (vmId) => [...(byVm.get(vmId) ?? [])],
    clear() {
      users.clear();
      byVm.clear();
    },
  };
}
