// The pure part of a batch: VMs with the same stored policies, facts and frameworks share one
// evaluation; a VM whose evaluation matches what is stored is only marked evaluated; a change
// becomes a write with the violations it opens and resolves; stored policies are parsed once per
// text and dropped with their last holder.
import { type HostEvidence, type PolicyLayer, resolvePolicy } from "@metald/core";
import type { ComplianceInputRow } from "@metald/db";
import { describe, expect, it } from "vitest";
import { type EvaluationMemo, planComplianceBatch } from "./compliance-batch.js";
import { complianceInput } from "./compliance-subject.js";
import { createPolicyInterner } from "./policy-interner.js";

const HOST: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };
const AT = new Date("2026-12-01T00:00:00Z");

const row = (vmId: string, profile: "LOW" | "HIGH"): ComplianceInputRow => ({
  vmId,
  tenantId: "acme",
  state: "CREATED",
  configVersion: 1,
  profile,
  frameworks: ["PCI_DSS"],
  dataResidency: "",
  effective: JSON.stringify([{ interfaceId: "eth0", policy: resolvePolicy({ profile }).policy }]),
});

const none = { previous: undefined, configVersion: undefined };

describe("planning a compliance batch", () => {
  it("evaluates VMs with the same stored policies and frameworks once", () => {
    const policies = createPolicyInterner();
    const memo: EvaluationMemo = new Map();
    const vms = ["vm-1", "vm-2", "vm-3"].map((id) => ({
      input: complianceInput(row(id, "LOW"), policies),
      stored: none,
      tenantLayer: undefined,
    }));
    const plan = planComplianceBatch(vms, HOST, AT, memo);
    expect(policies.size).toBe(1);
    expect(memo.size).toBe(1);
    expect(plan.vms.get("vm-1")?.evaluation).toBe(plan.vms.get("vm-3")?.evaluation);
    const opened = plan.writes.map((w) => w.opened.map((o) => o.requirement).sort());
    expect(opened).toHaveLength(3);
    expect(opened[0]).toContain("2.1");
    expect(opened[1]).toEqual(opened[0]);
    expect(opened[2]).toEqual(opened[0]);
    // A tenant layer adding a framework is another evaluation.
    const hipaa: PolicyLayer = { compliance: { frameworks: ["HIPAA"] } };
    planComplianceBatch([{ ...(vms[0] as (typeof vms)[0]), tenantLayer: hipaa }], HOST, AT, memo);
    expect(memo.size).toBe(2);
  });

  it("writes only what changed: the same outcome again is an evaluation time, a fix resolves", () => {
    const policies = createPolicyInterner();
    const low = complianceInput(row("vm-1", "LOW"), policies);
    const first = planComplianceBatch(
      [{ input: low, stored: none, tenantLayer: undefined }],
      HOST,
      AT,
      new Map(),
    );
    const stored = first.vms.get("vm-1")?.next ?? none;
    expect(stored.previous?.openViolations).toContain("PCI_DSS 2.1");
    const again = planComplianceBatch(
      [{ input: low, stored, tenantLayer: undefined }],
      HOST,
      new Date(AT.getTime() + 1000),
      new Map(),
    );
    expect(again.writes).toEqual([]);
    expect(again.evaluated).toEqual([{ vmId: "vm-1", tenantId: "acme" }]);
    const high = { ...complianceInput(row("vm-1", "HIGH"), policies), configVersion: 2 };
    const fixed = planComplianceBatch(
      [{ input: high, stored, tenantLayer: undefined }],
      HOST,
      AT,
      new Map(),
    );
    expect(fixed.writes[0]?.resolved).toContainEqual({
      framework: "PCI_DSS",
      requirement: "2.1",
      resolution: "resolved",
    });
    expect(fixed.writes[0]?.opened).toEqual([]);
    expect(fixed.writes[0]?.configVersion).toBe(2);
  });

  it("parses each stored text once and drops it with its last holder", () => {
    const policies = createPolicyInterner();
    const text = row("vm-1", "HIGH").effective;
    const a = policies.intern(text);
    const b = policies.intern(text);
    expect(b).toBe(a);
    policies.release(a);
    expect(policies.size).toBe(1);
    policies.release(b);
    expect(policies.size).toBe(0);
    expect(policies.intern(text).id).not.toBe(a.id);
  });
});
