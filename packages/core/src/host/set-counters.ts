// Reads the per-element counters of the metald_security sets from `nft -j` output.

export interface PacketCount {
  packets: number;
  bytes: number;
}

/**
 * Key (a port name in the bridge table, a VM address in the inet table) → set name → counter.
 * Elements keyed by more than one value add up under their first.
 */
export type PortCounters = Map<string, Record<string, PacketCount>>;

interface NftJsonSet {
  set?: {
    name: string;
    elem?: { elem?: { val: unknown; counter?: PacketCount } }[];
  };
}

function portOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "prefix" in value) {
    const prefix = (value as { prefix: { addr: string; len: number } }).prefix;
    return `${prefix.addr}/${prefix.len}`;
  }
  if (typeof value === "object" && value !== null && "concat" in value) {
    const first = (value as { concat: unknown[] }).concat[0];
    return typeof first === "string" ? first : undefined;
  }
  return undefined;
}

/** The counters of one VM port: its port name's and those of its addresses, added up. */
export function countersOf(
  all: PortCounters,
  keys: readonly string[],
): Record<string, PacketCount> {
  const out: Record<string, PacketCount> = {};
  for (const key of keys) {
    for (const [set, count] of Object.entries(all.get(key) ?? {})) {
      const current = out[set] ?? { packets: 0, bytes: 0 };
      out[set] = { packets: current.packets + count.packets, bytes: current.bytes + count.bytes };
    }
  }
  return out;
}

export function parseSetCounters(json: string): PortCounters {
  const parsed = JSON.parse(json) as { nftables?: NftJsonSet[] };
  const counters: PortCounters = new Map();
  for (const item of parsed.nftables ?? []) {
    const set = item.set;
    if (!set?.elem) continue;
    for (const entry of set.elem) {
      const elem = entry.elem;
      if (!elem?.counter) continue;
      const port = portOf(elem.val);
      if (!port) continue;
      const byPort = counters.get(port) ?? {};
      const current = byPort[set.name] ?? { packets: 0, bytes: 0 };
      byPort[set.name] = {
        packets: current.packets + elem.counter.packets,
        bytes: current.bytes + elem.counter.bytes,
      };
      counters.set(port, byPort);
    }
  }
  return counters;
}
