import { describe, expect, it } from "vitest";
import { formatSpread, median, summarizeCase } from "./interleaved-summary.js";

describe("interleaved summary", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it("states a case against the baseline's median, so one slow baseline run moves nothing", () => {
    const baseline = [10, 10, 2, 10, 10];
    const summary = summarizeCase([9, 9.5, 9, 8, 9], baseline);
    expect(summary).toEqual({ median: 9, min: 8, max: 9.5, percentOfBaseline: 90 });
  });

  it("formats the median with its spread", () => {
    const summary = summarizeCase([1234.5, 1000, 1500], [1000]);
    expect(formatSpread(summary, 0)).toBe("1,235 (1,000–1,500)");
    expect(formatSpread(summary, 1)).toBe("1,234.5 (1,000.0–1,500.0)");
  });
});
