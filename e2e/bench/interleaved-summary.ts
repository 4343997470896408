// Summaries of an interleaved benchmark: each case's median and spread, and the ratio of its
// median to the baseline's median measured in the same rounds. Medians, because on a shared
// machine one slow run (another job took the core) must not move the result.

/** The middle value; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no values");
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export interface CaseSummary {
  median: number;
  min: number;
  max: number;
  /** Median over the baseline's median, in per cent. */
  percentOfBaseline: number;
}

export function summarizeCase(xs: readonly number[], baseline: readonly number[]): CaseSummary {
  return {
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    percentOfBaseline: (100 * median(xs)) / median(baseline),
  };
}

/** "12.3 (11.9–12.8)": median and spread with the given number of decimals. */
export function formatSpread(summary: CaseSummary, decimals: number): string {
  const f = (x: number) =>
    x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}
