import { describe, expect, it } from "vitest";
import { countLookups, seenCounter } from "./counted-lookups.js";
import { RATE_CONTROLS, type RateClass, rateDropSet, renderRateClass } from "./rate-classes.js";
import { OBSERVED_SETS, renderBaseTable, TABLE_FAMILIES } from "./ruleset-table.js";

const RATE_CLASSES: RateClass[] = [
  ...RATE_CONTROLS.map((control) => ({ control, rate: 100, burst: 10 })),
  { control: "connections", rate: 50, burst: 0 },
];

/** The base tables with one rate class of every control, as the kernel would hold them. */
function wholeRuleset(): string {
  return [
    renderBaseTable(),
    ...RATE_CLASSES.map((c) =>
      renderRateClass(c, c.control === "connections" ? "inet" : "bridge", "metald_security"),
    ),
  ].join("\n");
}

describe("named counters on counted set lookups", () => {
  it("puts the set's named counter right before the verdict of every lookup of an observed set", () => {
    const observed = new Set(Object.values(OBSERVED_SETS).flat());
    const lookups = [...wholeRuleset().matchAll(/@(\w+)(?=(.*)$)/gm)].filter(([, set]) =>
      observed.has(set ?? ""),
    );
    expect(lookups.length).toBeGreaterThan(40);
    for (const [whole, set, rest] of lookups)
      expect(`${whole}${rest}`).toMatch(
        new RegExp(
          `^@${set} counter name "${set}_seen" (drop|return|accept|continue|goto \\w+|jump \\w+)`,
        ),
      );
  });

  it("declares each named counter once, in the table of the family whose rules use it", () => {
    const tables = renderBaseTable()
      .split(/^table /m)
      .slice(1);
    for (const family of TABLE_FAMILIES) {
      const table = tables.find((t) => t.startsWith(`${family} `)) ?? "";
      for (const set of OBSERVED_SETS[family]) {
        expect(table.split(`counter ${seenCounter(set)} { }`)).toHaveLength(2);
        expect(table).toContain(`set ${set} {`);
      }
    }
    for (const c of RATE_CLASSES)
      expect(
        OBSERVED_SETS[c.control === "connections" ? "inet" : "bridge"].includes(
          rateDropSet(c.control),
        ),
      ).toBe(true);
  });

  it("observes no accept-side set: they move with every packet", () => {
    const observed = Object.values(OBSERVED_SETS).flat();
    for (const set of ["vm_ports", "vm_sources", "ra_allowed_in", "inter_tenant_open"])
      expect(observed).not.toContain(set);
    expect(wholeRuleset()).toMatch(/iifname @vm_ports jump from_vm$/m);
  });

  it("refuses a lookup of a counted set that is not followed by a verdict", () => {
    const counted = new Set(["quarantine"]);
    expect(() => countLookups("    iifname @quarantine meta mark set 1 drop", counted)).toThrow(
      /@quarantine is not followed by a verdict/,
    );
    expect(() => countLookups("    iifname @quarantine", counted)).toThrow(/not followed/);
    expect(countLookups("    iifname @quarantine goto sample_quarantine", counted)).toBe(
      '    iifname @quarantine counter name "quarantine_seen" goto sample_quarantine',
    );
    expect(countLookups("    iifname @quarantine_in drop", counted)).toBe(
      "    iifname @quarantine_in drop",
    );
  });
});
