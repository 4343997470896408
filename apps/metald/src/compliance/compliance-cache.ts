// What the compliance monitor knows of every live VM between evaluations: its inputs (as read at
// its last change) and its stored compliance (as the monitor, the tables' only writer, last
// committed it), and what it was last evaluated against. A reload then evaluates only the VMs
// whose tenant layer or host evidence changed, without reading a VM or a status.
import type { PreviousCompliance } from "@metald/core";
import type { ComplianceInput } from "./compliance-subject.js";
import type { PolicyInterner } from "./policy-interner.js";

/** A VM's compliance as stored (undefined fields: nothing stored). */
export interface StoredCompliance {
  previous: PreviousCompliance | undefined;
  /** The configuration version the stored status was evaluated on. */
  configVersion: number | null | undefined;
}

export interface CachedVm {
  input: ComplianceInput;
  stored: StoredCompliance;
  /**
   * The host evidence and tenant layer the stored status was evaluated against (see
   * ComplianceMonitor's basis); undefined: to evaluate at the next reload.
   */
  basis: string | undefined;
}

export interface ComplianceCache {
  get(vmId: string): CachedVm | undefined;
  /** A VM's new inputs; its stored compliance is kept, or `stored` when given. */
  setInput(input: ComplianceInput, stored?: StoredCompliance): CachedVm;
  remove(vmId: string): void;
  values(): IterableIterator<CachedVm>;
  clear(): void;
  readonly size: number;
  /**
   * Whether it holds every live VM: true once a full read is done, false again after any failed
   * read or write (the next reload reads everything again).
   */
  complete: boolean;
}

export function createComplianceCache(policies: PolicyInterner): ComplianceCache {
  const vms = new Map<string, CachedVm>();
  return {
    get: (vmId) => vms.get(vmId),
    setInput(input, stored) {
      const cached = vms.get(input.vmId);
      if (cached) {
        policies.release(cached.input.effective);
        cached.input = input;
        if (stored) cached.stored = stored;
        return cached;
      }
      const added: CachedVm = {
        input,
        stored: stored ?? { previous: undefined, configVersion: undefined },
        basis: undefined,
      };
      vms.set(input.vmId, added);
      return added;
    },
    remove(vmId) {
      const cached = vms.get(vmId);
      if (!cached) return;
      policies.release(cached.input.effective);
      vms.delete(vmId);
    },
    values: () => vms.values(),
    clear() {
      for (const cached of vms.values()) policies.release(cached.input.effective);
      vms.clear();
    },
    get size() {
      return vms.size;
    },
    complete: false,
  };
}
