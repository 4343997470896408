import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { SecurityProfileName } from "../policy/security-policy.js";
import { complianceTransition, deletedVmViolations } from "./compliance-transition.js";
import { evaluateCompliance } from "./evaluate-compliance.js";
import type { HostEvidence } from "./host-evidence.js";

const HOST: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };
const T0 = new Date("2025-01-01T00:00:00Z");
const T1 = new Date("2025-01-02T00:00:00Z");

function evaluate(profile: SecurityProfileName, frameworks = ["PCI_DSS" as const]) {
  const { policy } = resolvePolicy({
    profile,
    request: {
      compliance: { frameworks, dataRetentionDays: 400, encryption: { requireTls: true } },
    },
  });
  return evaluateCompliance(
    { interfaces: [{ id: "eth0", policy }], facts: { profile, dataResidency: "" } },
    HOST,
  );
}

describe("compliance transitions", () => {
  it("a first evaluation opens each violation and dates every finding", () => {
    const t = complianceTransition(undefined, evaluate("LOW"), T0, 1);
    expect(t.status).toBe("NON_COMPLIANT");
    expect(t.statusChanged).toBe(true);
    expect(t.opened.map((f) => f.requirement)).toEqual(["1.1.4", "2.1"]);
    expect(t.resolved).toEqual([]);
    expect(t.findings.every((f) => f.since === T0.toISOString() && f.configVersion === 1)).toBe(
      true,
    );
  });

  it("an unchanged evaluation opens nothing and keeps since and the version", () => {
    const first = complianceTransition(undefined, evaluate("LOW"), T0, 1);
    const again = complianceTransition(
      {
        status: first.status,
        since: T0,
        findings: first.findings,
        openViolations: ["PCI_DSS 1.1.4", "PCI_DSS 2.1"],
      },
      evaluate("LOW"),
      T1,
      2,
    );
    expect(again).toMatchObject({
      statusChanged: false,
      statusSince: T0,
      opened: [],
      resolved: [],
    });
    expect(again.findings.map((f) => f.configVersion)).toEqual(first.findings.map(() => 1));
  });

  it("meeting the requirements resolves the violations; findings that changed are re-dated", () => {
    const first = complianceTransition(undefined, evaluate("LOW"), T0, 1);
    const t = complianceTransition(
      {
        status: first.status,
        since: T0,
        findings: first.findings,
        openViolations: ["PCI_DSS 1.1.4", "PCI_DSS 2.1"],
      },
      evaluate("HIGH"),
      T1,
      2,
    );
    expect(t).toMatchObject({ status: "COMPLIANT", statusChanged: true, statusSince: T1 });
    expect(t.resolved).toEqual([
      { framework: "PCI_DSS", requirement: "1.1.4", resolution: "resolved" },
      { framework: "PCI_DSS", requirement: "2.1", resolution: "resolved" },
    ]);
    const since = Object.fromEntries(t.findings.map((f) => [f.requirement, f.since]));
    expect(since["2.1"]).toBe(T1.toISOString());
    expect(since["4.1"]).toBe(T0.toISOString());
  });

  it("a framework no longer required closes its violations as not_required", () => {
    const t = complianceTransition(
      { status: "NON_COMPLIANT", since: T0, findings: [], openViolations: ["PCI_DSS 2.1"] },
      evaluate("LOW", []),
      T1,
      2,
    );
    expect(t.resolved).toEqual([
      { framework: "PCI_DSS", requirement: "2.1", resolution: "not_required" },
    ]);
    expect(t.status).toBe("COMPLIANT");
  });

  it("a deleted VM's open violations are closed as vm_deleted", () => {
    expect(deletedVmViolations(["GDPR Art. 32(1)(a)"])).toEqual([
      { framework: "GDPR", requirement: "Art. 32(1)(a)", resolution: "vm_deleted" },
    ]);
  });
});
