// Every rule metald checks, in framework order; docs/compliance.md lists them.
import type { ComplianceFramework } from "../policy/security-policy.js";
import type { ComplianceRule } from "./compliance-rule.js";
import { GDPR_RULES } from "./gdpr-rules.js";
import { HIPAA_RULES } from "./hipaa-rules.js";
import { ISO27001_RULES } from "./iso27001-rules.js";
import { PCI_DSS_RULES } from "./pci-dss-rules.js";
import { SOC2_RULES } from "./soc2-rules.js";

export const COMPLIANCE_FRAMEWORKS: readonly ComplianceFramework[] = [
  "SOC2",
  "PCI_DSS",
  "GDPR",
  "HIPAA",
  "ISO27001",
];

export const COMPLIANCE_RULES: readonly ComplianceRule[] = [
  ...SOC2_RULES,
  ...PCI_DSS_RULES,
  ...GDPR_RULES,
  ...HIPAA_RULES,
  ...ISO27001_RULES,
];

const BY_KEY = new Map(COMPLIANCE_RULES.map((r) => [ruleKey(r.framework, r.requirement), r]));

export function ruleKey(framework: string, requirement: string): string {
  return `${framework} ${requirement}`;
}

export function findRule(framework: string, requirement: string): ComplianceRule | undefined {
  return BY_KEY.get(ruleKey(framework, requirement));
}

export function rulesOf(framework: ComplianceFramework): ComplianceRule[] {
  return COMPLIANCE_RULES.filter((r) => r.framework === framework);
}
