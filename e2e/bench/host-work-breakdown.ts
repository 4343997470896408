// Divides a phase's time among host commands, nft transactions and database statements: the
// difference of two /metrics scrapes of metald_host_command_duration_seconds and
// metald_database_statement_duration_seconds, per operation of the phase.

/** Sum (seconds) and count of each histogram series, keyed `metric{labels}`. */
export type WorkTotals = Map<string, { seconds: number; count: number }>;

const SERIES =
  /^(metald_host_command_duration_seconds|metald_database_statement_duration_seconds)_(sum|count)\{([^}]*)\} (\S+)$/;

export function parseWorkTotals(exposition: string): WorkTotals {
  const totals: WorkTotals = new Map();
  for (const line of exposition.split("\n")) {
    const match = SERIES.exec(line);
    if (!match) continue;
    const [, metric = "", part, labels = "", value] = match;
    const name = /command="([^"]*)"/.exec(labels)?.[1] ?? /kind="([^"]*)"/.exec(labels)?.[1];
    const failed = /result="failed"/.test(labels) ? " (failed)" : "";
    const key = `${metric.startsWith("metald_database") ? "sql " : ""}${name}${failed}`;
    const total = totals.get(key) ?? { seconds: 0, count: 0 };
    if (part === "sum") total.seconds = Number(value);
    else total.count = Number(value);
    totals.set(key, total);
  }
  return totals;
}

/** Per operation: how many of each, and the milliseconds they took, between two readings. */
export function workPerOperation(
  before: WorkTotals,
  after: WorkTotals,
  operations: number,
): Record<string, { perOp: number; msPerOp: number }> {
  const result: Record<string, { perOp: number; msPerOp: number }> = {};
  const round = (n: number) => Math.round(n * 10) / 10;
  for (const [key, total] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    const start = before.get(key) ?? { seconds: 0, count: 0 };
    const count = total.count - start.count;
    if (count === 0) continue;
    result[key] = {
      perOp: round(count / operations),
      msPerOp: round(((total.seconds - start.seconds) * 1000) / operations),
    };
  }
  return result;
}
