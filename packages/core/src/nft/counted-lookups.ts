// Each set whose elements carry counters that metald observes also has one named counter, placed
// in every rule that looks the set up, right before the rule's verdict: it moves whenever any of
// the set's element counters moves. Reading the named counters (one `nft list counters`, its size
// the number of controls) tells which sets to read again, so observing the counters costs in
// proportion to what happened, not to the number of VMs programmed.

/** The named counter that moves with set `set`'s element counters. */
export function seenCounter(set: string): string {
  // A suffix keeps the name clear of nft keywords (a counter named `exthdr` does not parse).
  return `${set}_seen`;
}

const VERDICT = /^ (?:drop|accept|return|continue|(?:goto|jump) \w+)(?:\s|$)/;

/**
 * Adds `counter name "<set>_seen"` after every lookup of a set in `counted`. A lookup must be
 * the last match of its rule (what follows is the verdict): otherwise a later match could fail
 * and the named counter would move while no element counter did. Such a rule throws.
 */
export function countLookups(text: string, counted: ReadonlySet<string>): string {
  return text
    .split("\n")
    .map((line) =>
      line.replace(/@(\w+)/g, (whole: string, set: string, offset: number) => {
        if (!counted.has(set)) return whole;
        if (!VERDICT.test(line.slice(offset + whole.length)))
          throw new Error(
            `lookup of counted set @${set} is not followed by a verdict: ${line.trim()}`,
          );
        return `${whole} counter name "${seenCounter(set)}"`;
      }),
    )
    .join("\n");
}
