import { expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, retryDelays } from "./retry-schedule.js";
import { eventCategory, sampledIn } from "./siem-routing.js";

it("routes critical events first, control-plane changes to audit, volume limits to performance", () => {
  const e = (eventType: string, severity: "info" | "critical" | "warning", details = {}) => ({
    eventType,
    severity,
    details,
  });
  expect(eventCategory(e("source_spoofing", "critical"))).toBe("critical");
  expect(eventCategory(e("config_change", "info"))).toBe("audit");
  expect(eventCategory(e("compliance_violation", "warning"))).toBe("audit");
  expect(eventCategory(e("compliance_restored", "info"))).toBe("audit");
  expect(eventCategory(e("rate_limit_exceeded", "warning", { limit_type: "pps" }))).toBe(
    "performance",
  );
  expect(eventCategory(e("rate_limit_exceeded", "warning", { limit_type: "icmpv6" }))).toBe(
    "security",
  );
  expect(eventCategory(e("ra_guard_block", "warning"))).toBe("security");
});

it("samples about the given fraction, the same events every time", () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `evt-${i.toString(36)}`);
  const kept = ids.filter((id) => sampledIn(id, 0.1));
  expect(kept.length).toBeGreaterThan(900);
  expect(kept.length).toBeLessThan(1_100);
  expect(ids.filter((id) => sampledIn(id, 0.1))).toEqual(kept);
  expect(sampledIn("x", 1)).toBe(true);
  expect(sampledIn("x", 0)).toBe(false);
});

it("backs off 5 s, 10 s, 20 s and never past the cap", () => {
  expect(retryDelays(DEFAULT_RETRY_POLICY)).toEqual([5_000, 10_000, 20_000]);
  expect(retryDelays({ ...DEFAULT_RETRY_POLICY, maxRetries: 5 })).toEqual([
    5_000, 10_000, 20_000, 40_000, 60_000,
  ]);
});
