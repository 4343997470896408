// Observes the per-element counters of the metald_security sets at a cost that follows what
// happened, not how many VMs are programmed: one terse listing of the ruleset (`nft -t -j list
// ruleset`: chains, rules, sets without their elements, and the named counters, one per observed
// set, see counted-lookups.ts) tells which sets moved since the last reading, and only those are
// listed again. (`nft list counters` would not do: nft 1.0.6 fetches every set's elements first,
// ~0.07 s of CPU at 500 VMs; the terse listing costs the same at 0 and at 500 VMs, ~96 KB.) The last listing of every set is kept, and kept in step with the
// driver's own element changes, so a reading is still every element's exact count.
import { seenCounter } from "../nft/counted-lookups.js";
import {
  ACCEPT_SIDE_SETS,
  familyOfSet,
  OBSERVED_SETS,
  RATE_BURST_SETS,
  TABLE_NAME,
} from "../nft/ruleset-table.js";
import type { SetElements } from "../nft/vm-elements.js";
import type { PacketCount, PortCounters } from "./set-counters.js";
import { parseSetCounters } from "./set-counters.js";

export interface CounterObserverOptions {
  /** Runs `nft` with these arguments (and this script on stdin) on the host side. */
  nft: (args: string[], input?: string) => Promise<string>;
}

export interface CounterObserver {
  /** Lists the sets whose named counter moved, and returns every observed set's counters. */
  read(): Promise<PortCounters>;
  /** The last reading, kept in step with element changes since; runs nothing. */
  last(): PortCounters;
  /**
   * The keys of the last reading that counted anything (each with all of its sets, zeros
   * included); a key absent here reads as zero everywhere. What runs on a timer walks this,
   * not every VM's elements: on a host of 5,000 VMs few keys ever count.
   */
  lastActive(): PortCounters;
  /**
   * A fresh reading of one VM's elements of the accept-side sets (which are never observed) and
   * of the slow sets (listed only every SLOW_SET_READINGS readings), added to the last reading.
   */
  readElements(elements: SetElements): Promise<PortCounters>;
  /** A VM's elements moved from `before` to `after` (applied). */
  changed(before: SetElements, after: SetElements): void;
  /** A set's elements changed in ways the driver does not track: list it at the next reading. */
  invalidate(set: string): void;
  /** The tables were rebuilt: every counter starts again from zero. */
  clear(): void;
}

const OBSERVED = new Map(
  Object.entries(OBSERVED_SETS).flatMap(([family, sets]) =>
    sets.map((set) => [set, family] as const),
  ),
);
/** Above this many sets to list, one `nft -j list ruleset` replaces the per-set listings. */
const WHOLE_RULESET_AT = 4;
/**
 * Sets that move with ordinary traffic (the burst allowance used: any two packets of a VM
 * closer than its pps limit allows), so their named counter moves at almost every reading and
 * listing them each time would cost in the number of VMs with a limit (~35 ms at 5,000): they
 * are listed at most once per this many readings (30 s at the default 2 s), and read fresh per
 * VM by readElements.
 */
export const SLOW_SET_READINGS = 15;
const SLOW_SETS: ReadonlySet<string> = new Set(RATE_BURST_SETS);
const BY_COUNTER = new Map([...OBSERVED.keys()].map((set) => [seenCounter(set), set]));

/** The key an element is counted under (as parseSetCounters): its first value, unquoted. */
export function elementKey(literal: string): string {
  const first = (literal.split(" . ")[0] ?? "").trim();
  return first.replace(/^"(.*)"$/, "$1");
}

/** Counters in `nft get element` text output (1.0.6 prints text even with -j). */
export function parseElementCounters(text: string): PortCounters {
  const counters: PortCounters = new Map();
  for (const block of text.split(/^\s*set /m).slice(1)) {
    const set = /^(\w+) \{/.exec(block)?.[1];
    const elements = /elements = \{([^}]*)\}/.exec(block)?.[1];
    if (!set || elements === undefined) continue;
    for (const element of elements.split(",")) {
      const match = /^\s*"?([^\s"]+)"?.*?counter packets (\d+) bytes (\d+)/s.exec(element);
      if (!match?.[1]) continue;
      const byKey = counters.get(match[1]) ?? {};
      const current = byKey[set] ?? { packets: 0, bytes: 0 };
      byKey[set] = {
        packets: current.packets + Number(match[2]),
        bytes: current.bytes + Number(match[3]),
      };
      counters.set(match[1], byKey);
    }
  }
  return counters;
}

export function createCounterObserver(options: CounterObserverOptions): CounterObserver {
  /** set → key → count, as last listed (and adjusted by element changes since). */
  const perSet = new Map<string, Map<string, PacketCount>>();
  /** set → its named counter's packets when last read. */
  const seen = new Map<string, number>();
  /** Sets to list at the next reading whether or not their counter moved. */
  const stale = new Set<string>();
  /**
   * key → set → count: perSet turned around, kept in step with every change to it (a change
   * costs its own elements, not every key: at 5,000 VMs rebuilding it after each CreateVm cost
   * ~100 ms of CPU per poll). Readers get this map itself; they copy what they keep.
   */
  let assembled: PortCounters = new Map();
  /** The keys of assembled whose counts are not all zero, with the same entries. */
  let active: PortCounters = new Map();
  /** Readings so far, and the reading each slow set was last listed at. */
  let readings = 0;
  const slowListedAt = new Map<string, number>();
  const due = (set: string) => {
    if (!SLOW_SETS.has(set)) return true;
    const at = slowListedAt.get(set);
    return at === undefined || readings - at >= SLOW_SET_READINGS;
  };

  const counts = (count: PacketCount) => count.packets > 0 || count.bytes > 0;
  function put(key: string, set: string, count: PacketCount | undefined): void {
    let entry = assembled.get(key);
    if (count) {
      if (!entry) {
        entry = {};
        assembled.set(key, entry);
      }
      entry[set] = count;
    } else if (entry) {
      delete entry[set];
    }
    if (!entry) return;
    const sets = Object.values(entry);
    if (sets.length === 0) assembled.delete(key);
    if (sets.some(counts)) active.set(key, entry);
    else active.delete(key);
  }

  /** Set `set`'s counts to `byKey` (undefined: not observed any more). */
  function replaceSet(set: string, byKey: Map<string, PacketCount> | undefined): void {
    for (const key of perSet.get(set)?.keys() ?? []) if (!byKey?.has(key)) put(key, set, undefined);
    for (const [key, count] of byKey ?? []) put(key, set, count);
    if (byKey) perSet.set(set, byKey);
    else perSet.delete(set);
  }

  async function moved(): Promise<string[]> {
    const parsed = JSON.parse(await options.nft(["-t", "-j", "list", "ruleset"])) as {
      nftables?: { counter?: { name: string; table: string; packets: number } }[];
    };
    const sets = new Set(stale);
    for (const item of parsed.nftables ?? []) {
      const counter = item.counter;
      const set = counter && counter.table === TABLE_NAME && BY_COUNTER.get(counter.name);
      if (!counter || !set) continue;
      if (seen.get(set) !== counter.packets || !perSet.has(set)) sets.add(set);
      seen.set(set, counter.packets);
    }
    return [...sets];
  }

  return {
    async read() {
      readings += 1;
      const sets: string[] = [];
      for (const set of await moved()) {
        // Not due yet: stale, so that a later reading lists it even if it does not move again.
        if (due(set)) sets.push(set);
        else stale.add(set);
      }
      // Many sets at once (the first reading, or an attack on many controls): one listing of
      // the whole ruleset costs less than a command per set.
      const listing =
        sets.length > WHOLE_RULESET_AT
          ? parseSetCounters(await options.nft(["-j", "list", "ruleset"]))
          : undefined;
      for (const set of listing ? [...OBSERVED.keys()] : sets) {
        // Stays stale until listed: a failed listing is retried at the next reading.
        stale.add(set);
        const counters =
          listing ??
          parseSetCounters(
            await options.nft(["-j", "list", "set", OBSERVED.get(set) ?? "", TABLE_NAME, set]),
          );
        const byKey = new Map<string, PacketCount>();
        for (const [key, counts] of counters) {
          const count = counts[set];
          if (count) byKey.set(key, count);
        }
        replaceSet(set, byKey);
        stale.delete(set);
        if (SLOW_SETS.has(set)) slowListedAt.set(set, readings);
      }
      return assembled;
    },

    last: () => assembled,

    lastActive: () => active,

    async readElements(elements) {
      const lines = Object.entries(elements)
        .filter(
          ([set, list]) => (ACCEPT_SIDE_SETS.has(set) || SLOW_SETS.has(set)) && list.length > 0,
        )
        .map(
          ([set, list]) =>
            `get element ${familyOfSet(set)} ${TABLE_NAME} ${set} { ${list.join(", ")} }\n`,
        );
      const out: PortCounters = new Map(
        [...assembled].map(([key, counts]) => [key, { ...counts }]),
      );
      if (lines.length === 0) return out;
      // An element missing (the VM not applied yet) fails the command: no accept-side counts.
      const text = await options.nft(["-f", "-"], lines.join("")).catch(() => "");
      for (const [key, counts] of parseElementCounters(text))
        out.set(key, { ...out.get(key), ...counts });
      return out;
    },

    changed(before, after) {
      for (const set of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const byKey = perSet.get(set);
        if (!OBSERVED.has(set) || !byKey) continue;
        const wanted = new Set(after[set] ?? []);
        const keys = new Set([...wanted].map(elementKey));
        // A new element starts at zero; so does the sum of a new key.
        for (const key of keys) {
          if (byKey.has(key)) continue;
          const zero = { packets: 0, bytes: 0 };
          byKey.set(key, zero);
          put(key, set, zero);
        }
        for (const element of before[set] ?? []) {
          if (wanted.has(element)) continue;
          const key = elementKey(element);
          // A key losing one of several elements loses that element's count: list the set.
          if (keys.has(key)) stale.add(set);
          else if (byKey.delete(key)) put(key, set, undefined);
        }
      }
    },

    invalidate(set) {
      stale.add(set);
    },

    clear() {
      slowListedAt.clear();
      perSet.clear();
      seen.clear();
      stale.clear();
      assembled = new Map();
      active = new Map();
    },
  };
}
