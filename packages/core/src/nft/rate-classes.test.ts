import { describe, expect, it } from "vitest";
import {
  type RateClass,
  rateClassRuleHandles,
  renderMeterCleanup,
  renderRateClass,
  renderRateClassRemoval,
} from "./rate-classes.js";

const pps: RateClass = { control: "pps", rate: 50, burst: 10 };
const nd: RateClass = { control: "nd", rate: 10, burst: 5 };

describe("a pps class counts the burst allowance used", () => {
  it("puts a one-packet meter at the same rate after the limiter, counting into rl_pps_burst", () => {
    const rules = renderRateClass(pps, "bridge", "metald_security")
      .split("\n")
      .filter((line) => line.startsWith("add rule"));
    expect(rules).toHaveLength(2);
    expect(rules[0]).toContain(
      "update @rlm_pps_50_10 { iifname limit rate over 50/second burst 10 packets }",
    );
    expect(rules[1]).toContain(
      "update @rlb_pps_50_10 { iifname limit rate over 50/second burst 1 packets }",
    );
    expect(rules[1]).toMatch(/iifname @rl_pps_burst counter name "rl_pps_burst_seen" continue$/);
    // Other controls have no burst count.
    expect(renderRateClass(nd, "bridge", "metald_security")).not.toContain("rl_pps_burst");
  });

  it("removes both rules and both meters with the class, and cleans a VM's entries of both", () => {
    const listing = [
      "table bridge metald_security {",
      "\tchain rate_limits {",
      '\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } iifname @rl_nd_10_5 update @rlm_nd_10_5 { iifname limit rate over 10/second burst 5 packets } iifname @rl_nd_drops counter name "rl_nd_drops_seen" goto sample_rl_nd_drops # handle 7',
      '\t\tiifname @rl_pps_50_10 update @rlm_pps_50_10 { iifname limit rate over 50/second burst 10 packets } iifname @rl_pps_drops counter name "rl_pps_drops_seen" goto sample_rl_pps_drops # handle 8',
      '\t\tiifname @rl_pps_50_10 update @rlb_pps_50_10 { iifname limit rate over 50/second burst 1 packets } iifname @rl_pps_burst counter name "rl_pps_burst_seen" continue # handle 9',
      '\t\tiifname @rl_pps_50_100 update @rlm_pps_50_100 { iifname limit rate over 50/second burst 100 packets } iifname @rl_pps_drops counter name "rl_pps_drops_seen" goto sample_rl_pps_drops # handle 10',
      "\t}",
      "}",
    ].join("\n");
    expect(rateClassRuleHandles(pps, listing)).toEqual([8, 9]);
    expect(rateClassRuleHandles(nd, listing)).toEqual([7]);
    expect(renderRateClassRemoval(pps, "metald_security", [8, 9]).split("\n")).toEqual([
      "delete rule bridge metald_security rate_limits handle 8",
      "delete rule bridge metald_security rate_limits handle 9",
      "delete set bridge metald_security rl_pps_50_10",
      "delete set bridge metald_security rlm_pps_50_10",
      "delete set bridge metald_security rlb_pps_50_10",
    ]);
    const cleanup = renderMeterCleanup([pps], ["tapa0"], [], () => "bridge", "metald_security");
    expect(cleanup).toContain('delete element bridge metald_security rlm_pps_50_10 { "tapa0" }');
    expect(cleanup).toContain('delete element bridge metald_security rlb_pps_50_10 { "tapa0" }');
  });
});
