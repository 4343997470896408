// Stored effective policies, parsed once per distinct text. VMs of one profile and tenant store
// the same JSON text for their effective policies: sharing one parsed copy keeps the monitor's
// inputs of thousands of VMs small, saves parsing them, and lets their evaluations be shared.
// Entries are counted by the VMs holding them and dropped with the last one.
import type { StoredInterface } from "./compliance-subject.js";

export interface InternedPolicies {
  /** Distinct per distinct text while an entry lives (a key for shared evaluations). */
  readonly id: number;
  readonly interfaces: readonly StoredInterface[];
}

export interface PolicyInterner {
  /** The shared entry of this stored text (one more holder). */
  intern(text: string): InternedPolicies;
  /** One holder fewer; the entry goes with its last holder. */
  release(entry: InternedPolicies): void;
  /** Distinct entries held. */
  readonly size: number;
}

interface Entry extends InternedPolicies {
  text: string;
  holders: number;
}

export function createPolicyInterner(): PolicyInterner {
  const byText = new Map<string, Entry>();
  let next = 0;
  return {
    intern(text) {
      let entry = byText.get(text);
      if (entry === undefined) {
        const parsed = JSON.parse(text) as StoredInterface[] | null;
        entry = { id: ++next, interfaces: parsed ?? [], text, holders: 0 };
        byText.set(text, entry);
      }
      entry.holders++;
      return entry;
    },
    release(shared) {
      const entry = shared as Entry;
      if (--entry.holders <= 0 && byText.get(entry.text) === entry) byText.delete(entry.text);
    },
    get size() {
      return byText.size;
    },
  };
}
