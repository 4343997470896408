// Rates from two readings of cumulative kernel counters. The kernel keeps exact totals and no
// rates, so a rate is the difference of two readings over the time between them; what is
// unknown (no earlier reading of a counter) yields no rate rather than a guess.

/** Cumulative counter totals by key, read at one moment. */
export interface CounterSnapshot {
  /** When the reading was taken, in milliseconds of a monotonic clock. */
  atMs: number;
  totals: ReadonlyMap<string, number>;
}

/**
 * The rate of every counter in `current` that `previous` also holds, per `perMs` milliseconds
 * (1,000: per second; 60,000: per minute). A counter that went down was rebuilt between the
 * readings (the tables were reconciled, or a VM's element removed and added again): it counted
 * from zero, so its whole value is the increase, which makes the rate a lower bound for that
 * interval. No previous reading, or no time between the readings: no rates.
 */
export function counterRates(
  previous: CounterSnapshot | undefined,
  current: CounterSnapshot,
  perMs = 1_000,
): Map<string, number> {
  const rates = new Map<string, number>();
  if (!previous) return rates;
  const elapsedMs = current.atMs - previous.atMs;
  if (!(elapsedMs > 0)) return rates;
  for (const [key, total] of current.totals) {
    const before = previous.totals.get(key);
    if (before === undefined) continue;
    const increase = total >= before ? total - before : total;
    rates.set(key, (increase * perMs) / elapsedMs);
  }
  return rates;
}
