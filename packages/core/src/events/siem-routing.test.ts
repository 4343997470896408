import { expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, retryDelays } from "./retry-schedule.js";
import {
  defaultSiemRoutes,
  eventCategory,
  sampledIn,
  siemRoutesFromConfig,
} from "./siem-routing.js";

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

it("follows the host configuration's event_routing over the defaults, category by category", () => {
  const routes = siemRoutesFromConfig(
    {
      critical_events: {
        destination: "soc",
        formats: ["cef", "cef", "leef"],
        endpoint: "tcp://siem:514",
      },
      audit_events: { batch_size: 10, real_time: true },
      performance_events: { enabled: false },
    },
    ["json"],
  );
  expect(routes.map((r) => r.category)).toEqual(["critical", "audit", "security"]);
  expect(routes[0]).toEqual({
    category: "critical",
    destination: "soc",
    realTime: true,
    batchSize: 100,
    formats: ["cef", "leef"],
    samplingRate: 1,
    endpoint: "tcp://siem:514",
  });
  expect(routes[1]).toMatchObject({
    destination: "compliance_audit",
    batchSize: 10,
    realTime: true,
  });
  expect(routes[2]).toMatchObject({ destination: "security_events", formats: ["json"] });
  expect(siemRoutesFromConfig(undefined, ["cef"])).toEqual(defaultSiemRoutes(["cef"]));
});

it("refuses two routes under one destination name, as they would share one position", () => {
  expect(() =>
    siemRoutesFromConfig({ audit_events: { destination: "security_events" } }, ["json"]),
  ).toThrow(/used by two routes/);
});
