import { fromJson } from "@bufbuild/protobuf";
import { CreateVmRequestSchema } from "@metald/proto";
import { describe, expect, it } from "vitest";
import { normalizeCreateVm } from "../policy/normalize-create-vm.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { PolicyLayer, SecurityProfileName } from "../policy/security-policy.js";
import { findRule } from "./compliance-rules.js";
import { type ComplianceSubject, evaluateCompliance, evaluateRule } from "./evaluate-compliance.js";
import { type HostEvidence, UNPROBED_HOST } from "./host-evidence.js";

const KERNEL: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: false };
const DRY_RUN: HostEvidence = {
  packetFiltering: false,
  unverifiedReason: "the dry-run driver applies nothing",
  bridgeVlans: false,
};

/** PCI DSS with what its rules need besides the profile. */
const PCI: PolicyLayer = {
  compliance: {
    frameworks: ["PCI_DSS"],
    dataRetentionDays: 400,
    encryption: { requireTls: true },
  },
};

function vm(profile: SecurityProfileName, request: PolicyLayer = PCI): ComplianceSubject {
  const { policy } = resolvePolicy({ profile, request });
  return { interfaces: [{ id: "eth0", policy }], facts: { profile, dataResidency: "" } };
}

const violated = (e: ReturnType<typeof evaluateCompliance>) =>
  e.findings.filter((f) => f.outcome === "violated" || f.outcome === "not_enforced");

describe("evaluating a VM", () => {
  it("a LOW-profile PCI DSS VM is NON_COMPLIANT on 2.1 (and egress filtering); HIGH is COMPLIANT", () => {
    const low = evaluateCompliance(vm("LOW"), KERNEL);
    expect(low.status).toBe("NON_COMPLIANT");
    expect(violated(low).map((f) => f.requirement)).toEqual(["1.1.4", "2.1"]);
    const high = evaluateCompliance(vm("HIGH"), KERNEL);
    expect(high.status).toBe("COMPLIANT");
    expect(high.frameworks).toEqual(["PCI_DSS"]);
  });

  it("a VM under no framework is COMPLIANT with nothing to check", () => {
    const e = evaluateCompliance(vm("LOW", {}), KERNEL);
    expect(e).toEqual({ frameworks: [], status: "COMPLIANT", findings: [] });
  });

  it("frameworks required from outside the policies (a tenant layer now) are evaluated too", () => {
    const e = evaluateCompliance({ ...vm("HIGH"), frameworks: ["SOC2"] }, KERNEL);
    expect(e.frameworks).toEqual(["SOC2", "PCI_DSS"]);
  });

  it("host controls are PENDING_AUDIT where enforcement cannot be verified (dry-run, not probed)", () => {
    for (const host of [DRY_RUN, UNPROBED_HOST]) {
      const e = evaluateCompliance(vm("HIGH"), host);
      expect(e.status).toBe("PENDING_AUDIT");
      const f = e.findings.find((x) => x.requirement === "1.1.4");
      expect(f?.outcome).toBe("pending");
      expect(f?.detail).toContain(host.unverifiedReason);
      // What metald itself does, or what is declared, does not wait for the host.
      expect(e.findings.find((x) => x.requirement === "10.7")?.outcome).toBe("met");
    }
    // A configuration violation is one whatever the host.
    expect(evaluateCompliance(vm("LOW"), DRY_RUN).status).toBe("NON_COMPLIANT");
  });

  it("a VLAN the host cannot create is not counted as segregation (ISO 27001 A.8.22)", () => {
    const rule = findRule("ISO27001", "A.8.22");
    if (!rule) throw new Error("rule");
    const tagged = vm("HIGH", { isolation: { customerVlan: 1000 } });
    const f = evaluateRule(rule, tagged, KERNEL);
    expect(f.outcome).toBe("not_enforced");
    expect(f.detail).toMatch(/VLAN 1000; this host has no bridge VLAN filtering/);
    expect(evaluateRule(rule, tagged, { ...KERNEL, bridgeVlans: true }).outcome).toBe("met");
    expect(evaluateRule(rule, vm("HIGH"), KERNEL).outcome).toBe("met");
  });

  it("RA option filtering (block_config) alone does not meet an RA guard requirement", () => {
    const rule = findRule("HIPAA", "§164.312(c)(1)");
    if (!rule) throw new Error("rule");
    const byOptions = vm("HIGH", {
      raGuard: { blockAllRa: false, allowedRouters: [], blockConfig: { blockRdnss: true } },
    });
    const f = evaluateRule(rule, byOptions, KERNEL);
    expect(f.outcome).toBe("not_enforced");
    expect(f.detail).toMatch(/block_config\) is not enforced/);
    const byRouters = vm("HIGH", { raGuard: { blockAllRa: false, allowedRouters: ["fe80::1"] } });
    expect(evaluateRule(rule, byRouters, KERNEL).outcome).toBe("met");
  });

  it("max_chain_length alone does not meet extension-header filtering (SOC 2 CC6.6)", () => {
    const rule = findRule("SOC2", "CC6.6");
    if (!rule) throw new Error("rule");
    const f = evaluateRule(
      rule,
      vm("HIGH", { extensionHeaders: { mode: "ALLOW_ALL", maxChainLength: 3 } }),
      KERNEL,
    );
    expect(f.outcome).toBe("not_enforced");
    expect(f.detail).toMatch(/max_chain_length is not enforced/);
  });

  it("names the interfaces that fail on a VM with several", () => {
    const rule = findRule("PCI_DSS", "1.3.3");
    if (!rule) throw new Error("rule");
    const good = resolvePolicy({ profile: "HIGH", request: PCI }).policy;
    const bad = resolvePolicy({
      profile: "HIGH",
      request: { ...PCI, sourceValidation: { sourceGuard: false } },
    }).policy;
    const f = evaluateRule(
      rule,
      {
        interfaces: [
          { id: "primary", policy: good },
          { id: "backup", policy: bad },
        ],
        facts: { profile: "HIGH", dataResidency: "" },
      },
      KERNEL,
    );
    expect(f).toMatchObject({
      outcome: "violated",
      interfaces: ["backup"],
      detail: "backup: source guard off",
    });
  });

  it("seed 001's compliance block feeds the same engine (frameworks, residency, TLS, VLANs)", () => {
    const { spec } = normalizeCreateVm(
      fromJson(CreateVmRequestSchema, {
        config: {
          tenant_id: "financial-services-corp",
          network: [
            {
              id: "primary",
              vlan_id: "1000",
              ipv6: {
                address: "2600:beef:2000::100/64",
                security: {
                  enable_ra_guard: true,
                  allowed_ra_sources: ["2600:beef:2000::1"],
                  enable_source_guard: true,
                  strict_source_validation: true,
                },
              },
              security_policy: { log_security_events: true, bandwidth_limit_mbps: 10000 },
            },
          ],
          security_profile: { profile_name: "high", require_encrypted_traffic: true },
          compliance: {
            frameworks: ["PCI-DSS", "SOC2", "ISO27001"],
            data_residency: "US",
            encryption_required: true,
            audit_logging: true,
          },
        },
      }),
      { defaultProfile: "HIGH", defaultTenant: "default" },
    );
    const interfaces = spec.interfaces.map((iface) => ({
      id: iface.id,
      policy: resolvePolicy({
        profile: spec.profile,
        request: iface.requestLayer,
        switches: iface.switches,
      }).policy,
    }));
    const e = evaluateCompliance(
      {
        interfaces,
        facts: { profile: spec.profile, dataResidency: spec.compliance.dataResidency },
      },
      KERNEL,
    );
    expect(e.frameworks).toEqual(["SOC2", "PCI_DSS", "ISO27001"]);
    expect(e.status).toBe("NON_COMPLIANT");
    // The block gives no retention (90 days by default) and asks for a VLAN this host lacks.
    expect(violated(e).map((f) => `${f.framework} ${f.requirement} ${f.outcome}`)).toEqual([
      "PCI_DSS 10.7 violated",
      "ISO27001 A.5.33 violated",
      "ISO27001 A.8.22 not_enforced",
    ]);
    expect(e.findings.find((f) => f.requirement === "4.1")?.outcome).toBe("met");
  });
});
