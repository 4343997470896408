// Reads the per-element counters of the metald_security sets from `nft -j` output.

export interface PacketCount {
  packets: number;
  bytes: number;
}

/** Port name → set name → counter. Address-keyed sets add up per port. */
export type PortCounters = Map<string, Record<string, PacketCount>>;

interface NftJsonSet {
  set?: {
    name: string;
    elem?: { elem?: { val: unknown; counter?: PacketCount } }[];
  };
}

function portOf(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "concat" in value) {
    const first = (value as { concat: unknown[] }).concat[0];
    return typeof first === "string" ? first : undefined;
  }
  return undefined;
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
