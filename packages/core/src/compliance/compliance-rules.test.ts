// One configuration that violates each rule and one that passes it, over a policy that meets
// every rule of every framework.
import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../policy/resolve-policy.js";
import type { PolicyLayer, SecurityProfileName } from "../policy/security-policy.js";
import type { VmComplianceFacts } from "./compliance-rule.js";
import { COMPLIANCE_FRAMEWORKS, COMPLIANCE_RULES, findRule, ruleKey } from "./compliance-rules.js";
import { type ComplianceSubject, evaluateRule } from "./evaluate-compliance.js";
import type { HostEvidence } from "./host-evidence.js";

const HOST: HostEvidence = { packetFiltering: true, unverifiedReason: "", bridgeVlans: true };

/** Over the HIGH profile: what every framework asks beyond it. */
const COMPLIANT_LAYER: PolicyLayer = {
  compliance: {
    frameworks: [...COMPLIANCE_FRAMEWORKS],
    dataRetentionDays: 2_555,
    audit: { enabled: true },
    encryption: { requireTls: true, minTlsVersion: "1.3", requireEncryptionAtRest: true },
  },
};

const FACTS: VmComplianceFacts = { profile: "HIGH", dataResidency: "US" };

function subject(
  layer: PolicyLayer = {},
  facts: Partial<VmComplianceFacts> = {},
  profile: SecurityProfileName = "HIGH",
): ComplianceSubject {
  const { policy } = resolvePolicy({ profile, tenant: COMPLIANT_LAYER, request: layer });
  return { interfaces: [{ id: "eth0", policy }], facts: { ...FACTS, profile, ...facts } };
}

interface Case {
  violate: {
    layer?: PolicyLayer;
    facts?: Partial<VmComplianceFacts>;
    profile?: SecurityProfileName;
  };
  /** What the violation's detail says. */
  says: RegExp;
}

const CASES: Record<string, Case> = {
  "SOC2 CC6.1": {
    violate: { layer: { sourceValidation: { strictIngress: false } } },
    says: /strict_ingress off/,
  },
  "SOC2 CC6.6": {
    violate: { layer: { extensionHeaders: { mode: "ALLOW_ALL", maxChainLength: 0 } } },
    says: /every extension header allowed/,
  },
  "SOC2 CC6.7": {
    violate: { layer: { rateLimits: { maxBandwidthPerVm: 0 } } },
    says: /no bandwidth limit/,
  },
  "SOC2 CC7.2": {
    violate: { layer: { monitoring: { enableSecurityLogging: false } } },
    says: /security logging off/,
  },
  "PCI_DSS 1.1.4": {
    violate: { layer: { sourceValidation: { strictEgress: false } } },
    says: /strict_egress off/,
  },
  "PCI_DSS 1.3.3": {
    violate: { layer: { sourceValidation: { sourceGuard: false } } },
    says: /source guard off/,
  },
  "PCI_DSS 2.1": { violate: { profile: "LOW" }, says: /security profile LOW/ },
  "PCI_DSS 4.1": {
    violate: { layer: { compliance: { encryption: { requireTls: false } } } },
    says: /TLS is not required/,
  },
  "PCI_DSS 10.2": {
    violate: { layer: { compliance: { audit: { enabled: false } } } },
    says: /audit logging off/,
  },
  "PCI_DSS 10.7": {
    violate: { layer: { compliance: { dataRetentionDays: 90 } } },
    says: /kept 90 days; at least 365/,
  },
  "GDPR Art. 5(1)(e)": {
    violate: { layer: { compliance: { dataRetentionDays: 3_650 } } },
    says: /at most 2555/,
  },
  "GDPR Art. 5(2)": {
    violate: { layer: { compliance: { audit: { enabled: false } } } },
    says: /audit logging off/,
  },
  "GDPR Art. 32(1)(a)": {
    violate: { layer: { compliance: { encryption: { requireEncryptionAtRest: false } } } },
    says: /encryption at rest required off/,
  },
  "GDPR Art. 32(1)(b)": {
    violate: { layer: { isolation: { interTenantPolicy: "ALLOW_ALL" } } },
    says: /inter-tenant ALLOW_ALL/,
  },
  "GDPR Art. 44": { violate: { facts: { dataResidency: "" } }, says: /no data residency/ },
  "HIPAA §164.312(a)(2)(iv)": {
    violate: { layer: { compliance: { encryption: { requireEncryptionAtRest: false } } } },
    says: /not required/,
  },
  "HIPAA §164.312(b)": {
    violate: { layer: { compliance: { audit: { enabled: false } } } },
    says: /audit logging off/,
  },
  "HIPAA §164.312(c)(1)": {
    violate: { layer: { raGuard: { enabled: false } } },
    says: /RA guard off/,
  },
  "HIPAA §164.312(e)(1)": {
    violate: { layer: { compliance: { encryption: { minTlsVersion: "1.1" } } } },
    says: /1\.2 or later is needed/,
  },
  "HIPAA §164.316(b)(2)(i)": {
    violate: { layer: { compliance: { dataRetentionDays: 365 } } },
    says: /at least 2190/,
  },
  "ISO27001 A.5.33": {
    violate: { layer: { compliance: { dataRetentionDays: 30 } } },
    says: /at least 365/,
  },
  "ISO27001 A.8.6": {
    violate: { layer: { rateLimits: { maxPpsPerVm: 0, maxBandwidthPerVm: 0 } } },
    says: /no packet rate/,
  },
  "ISO27001 A.8.15": {
    violate: { layer: { rules: { logSecurityEvents: false } } },
    says: /rule events off/,
  },
  "ISO27001 A.8.20": {
    violate: { layer: { sourceValidation: { sourceGuard: false } } },
    says: /source guard off/,
  },
  "ISO27001 A.8.22": {
    violate: { layer: { isolation: { interTenantPolicy: "SELECTIVE" } } },
    says: /inter-tenant SELECTIVE/,
  },
  "ISO27001 A.8.24": {
    violate: { layer: { compliance: { encryption: { requireTls: false } } } },
    says: /TLS is not required/,
  },
};

describe("compliance rules", () => {
  it("have one case each here, and unique requirement ids", () => {
    const keys = COMPLIANCE_RULES.map((r) => ruleKey(r.framework, r.requirement));
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.keys(CASES).sort()).toEqual([...keys].sort());
  });

  describe.each(Object.entries(CASES))("%s", (key, c) => {
    const space = key.indexOf(" ");
    const rule = findRule(key.slice(0, space), key.slice(space + 1));
    if (!rule) throw new Error(`no rule ${key}`);

    it("is met by the compliant configuration", () => {
      const finding = evaluateRule(rule, subject(), HOST);
      expect(finding.outcome, finding.detail).toBe("met");
    });

    it("is violated, saying why", () => {
      const v = c.violate;
      const finding = evaluateRule(rule, subject(v.layer, v.facts, v.profile), HOST);
      expect(finding.outcome).toBe("violated");
      expect(finding.detail).toMatch(c.says);
    });

    it("names the fields that fix it", () => {
      expect(rule.fields.length).toBeGreaterThan(0);
    });
  });

  it("counts missing encryption by kind, for the encryption metric", () => {
    const rule = findRule("GDPR", "Art. 32(1)(a)");
    const finding =
      rule &&
      evaluateRule(
        rule,
        subject({
          compliance: { encryption: { requireTls: false, requireEncryptionAtRest: false } },
        }),
        HOST,
      );
    expect(finding?.missing).toEqual(["at_rest", "in_transit"]);
    expect(
      COMPLIANCE_RULES.filter((r) => r.encryption).map((r) => ruleKey(r.framework, r.requirement)),
    ).toEqual([
      "PCI_DSS 4.1",
      "GDPR Art. 32(1)(a)",
      "HIPAA §164.312(a)(2)(iv)",
      "HIPAA §164.312(e)(1)",
      "ISO27001 A.8.24",
    ]);
  });
});
