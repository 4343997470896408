// Collects the kernel's packet samples (NFLOG) per VM and control between two counter readings,
// so the event raised for a counter's movement can name the source addresses behind it. Memory
// is bounded: a flood of spoofed sources keeps the most frequent few and counts the rest.

export interface PacketSample {
  vmId: string;
  control: string;
  sourceIp?: string;
  destinationIp?: string;
  interface?: string;
  extensionHeaders?: readonly string[];
  icmpv6Type?: number;
}

export interface SampleSummary {
  samples: number;
  /** Most frequent first. */
  sources: { ip: string; samples: number }[];
  /** Samples whose source fell outside the tracked addresses. */
  otherSources: number;
  destinations: string[];
  interfaces: string[];
  extensionHeaders: string[];
  icmpv6Types: number[];
}

export interface SampleAggregatorOptions {
  maxSourcesPerKey?: number;
  maxKeys?: number;
  /** Readings a key may wait for its counter to move before it is forgotten. */
  maxAgeReadings?: number;
}

interface Entry {
  samples: number;
  sources: Map<string, number>;
  otherSources: number;
  destinations: Set<string>;
  interfaces: Set<string>;
  headers: Set<string>;
  icmpv6Types: Set<number>;
  age: number;
}

export interface SampleAggregator {
  record(sample: PacketSample): void;
  /** The samples for one VM and control since the last take, and forgets them. */
  take(vmId: string, control: string): SampleSummary | undefined;
  /** Ends a counter reading: ages what was not taken, forgetting what is too old. */
  endReading(): void;
  /** Samples dropped because the aggregator was full. */
  readonly overflowed: number;
}

const SMALL_SET = 8;

export function createSampleAggregator(options: SampleAggregatorOptions = {}): SampleAggregator {
  const maxSources = options.maxSourcesPerKey ?? 16;
  const maxKeys = options.maxKeys ?? 10_000;
  const maxAge = options.maxAgeReadings ?? 3;
  const entries = new Map<string, Entry>();
  let overflowed = 0;
  const addBounded = <T>(set: Set<T>, value: T | undefined) => {
    if (value !== undefined && set.size < SMALL_SET) set.add(value);
  };

  return {
    record(s) {
      const key = `${s.vmId}/${s.control}`;
      let entry = entries.get(key);
      if (!entry) {
        if (entries.size >= maxKeys) {
          overflowed++;
          return;
        }
        entry = {
          samples: 0,
          sources: new Map(),
          otherSources: 0,
          destinations: new Set(),
          interfaces: new Set(),
          headers: new Set(),
          icmpv6Types: new Set(),
          age: 0,
        };
        entries.set(key, entry);
      }
      entry.samples++;
      if (s.sourceIp !== undefined) {
        const n = entry.sources.get(s.sourceIp);
        if (n !== undefined) entry.sources.set(s.sourceIp, n + 1);
        else if (entry.sources.size < maxSources) entry.sources.set(s.sourceIp, 1);
        else entry.otherSources++;
      }
      addBounded(entry.destinations, s.destinationIp);
      addBounded(entry.interfaces, s.interface);
      for (const h of s.extensionHeaders ?? []) addBounded(entry.headers, h);
      addBounded(entry.icmpv6Types, s.icmpv6Type);
    },

    take(vmId, control) {
      const key = `${vmId}/${control}`;
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      return {
        samples: entry.samples,
        sources: [...entry.sources]
          .map(([ip, samples]) => ({ ip, samples }))
          .sort((a, b) => b.samples - a.samples || a.ip.localeCompare(b.ip)),
        otherSources: entry.otherSources,
        destinations: [...entry.destinations],
        interfaces: [...entry.interfaces],
        extensionHeaders: [...entry.headers],
        icmpv6Types: [...entry.icmpv6Types],
      };
    },

    endReading() {
      for (const [key, entry] of entries) if (++entry.age > maxAge) entries.delete(key);
    },

    get overflowed() {
      return overflowed;
    },
  };
}
