import { describe, expect, it } from "vitest";
import { parseWorkTotals, workPerOperation } from "./host-work-breakdown.js";

const scrape = (tcSum: number, tcCount: number, sqlSum: number, sqlCount: number) => `
# HELP metald_host_command_duration_seconds Host commands
metald_host_command_duration_seconds_bucket{le="0.001",command="tc",result="ok"} 0
metald_host_command_duration_seconds_sum{command="tc",result="ok"} ${tcSum}
metald_host_command_duration_seconds_count{command="tc",result="ok"} ${tcCount}
metald_host_command_duration_seconds_sum{command="tc",result="failed"} 0.5
metald_host_command_duration_seconds_count{command="tc",result="failed"} 1
metald_database_statement_duration_seconds_sum{kind="query"} ${sqlSum}
metald_database_statement_duration_seconds_count{kind="query"} ${sqlCount}
metald_other_total 7
`;

describe("host work breakdown", () => {
  it("reads each series' sum and count, failures apart", () => {
    const totals = parseWorkTotals(scrape(1.5, 10, 2, 100));
    expect(totals.get("tc")).toEqual({ seconds: 1.5, count: 10 });
    expect(totals.get("tc (failed)")).toEqual({ seconds: 0.5, count: 1 });
    expect(totals.get("sql query")).toEqual({ seconds: 2, count: 100 });
    expect(totals.size).toBe(3);
  });

  it("divides what changed between two readings by the operations, leaving out what did not", () => {
    const before = parseWorkTotals(scrape(1.5, 10, 2, 100));
    const after = parseWorkTotals(scrape(2.3, 30, 2.64, 420));
    expect(workPerOperation(before, after, 20)).toEqual({
      "sql query": { perOp: 16, msPerOp: 32 },
      tc: { perOp: 1, msPerOp: 40 },
    });
  });
});
