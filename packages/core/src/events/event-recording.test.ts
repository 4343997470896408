import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { PolicyLayer } from "../policy/security-policy.js";
import { recordsSecurityEvent } from "./event-recording.js";

const policy = (request: PolicyLayer) => resolvePolicy({ profile: "HIGH", request }).policy;

describe("which counter events a VM's monitoring settings record", () => {
  it("records every severity by default (HIGH: logging on, level INFO)", () => {
    for (const severity of ["info", "warning", "error", "critical"] as const)
      expect(recordsSecurityEvent([policy({})], severity)).toBe(true);
  });

  it("records nothing with enable_security_logging or log_security_events false", () => {
    expect(
      recordsSecurityEvent([policy({ monitoring: { enableSecurityLogging: false } })], "critical"),
    ).toBe(false);
    expect(
      recordsSecurityEvent([policy({ rules: { logSecurityEvents: false } })], "critical"),
    ).toBe(false);
  });

  it("keeps severities at or above security_log_level", () => {
    const warn = policy({ monitoring: { securityLogLevel: "WARN" } });
    expect(recordsSecurityEvent([warn], "info")).toBe(false);
    expect(recordsSecurityEvent([warn], "warning")).toBe(true);
    const critical = policy({ monitoring: { securityLogLevel: "CRITICAL" } });
    expect(recordsSecurityEvent([critical], "error")).toBe(false);
    expect(recordsSecurityEvent([critical], "critical")).toBe(true);
  });

  it("records a VM's event when any of its interfaces keeps it", () => {
    const off = policy({ monitoring: { enableSecurityLogging: false } });
    expect(recordsSecurityEvent([off, policy({})], "info")).toBe(true);
    expect(recordsSecurityEvent([off, off], "info")).toBe(false);
    expect(recordsSecurityEvent([], "info")).toBe(true);
  });
});
