// Evaluates a VM against the rules of every framework it is under: on the effective policy of
// each interface (profile, tenant and request layers resolved) and on what the host can show.
import type { ComplianceFramework, SecurityPolicy } from "../policy/security-policy.js";
import type {
  ComplianceRule,
  EncryptionRequirement,
  RuleCheck,
  VmComplianceFacts,
} from "./compliance-rule.js";
import { COMPLIANCE_FRAMEWORKS, COMPLIANCE_RULES } from "./compliance-rules.js";
import { gapReason, type HostEvidence } from "./host-evidence.js";

export type ComplianceStatusName = "COMPLIANT" | "NON_COMPLIANT" | "PENDING_AUDIT";

/**
 * met: configured and (for host controls) enforced; violated: the configuration fails it;
 * not_enforced: configured, but only through a control this host cannot enforce (a violation
 * too); pending: configured, but the host's enforcement cannot be verified yet.
 */
export type ComplianceOutcome = "met" | "violated" | "not_enforced" | "pending";

export interface ComplianceSubject {
  /** Each interface's effective policy; at least one (a VM without interfaces passes its VM-level policy). */
  interfaces: { id: string; policy: SecurityPolicy }[];
  facts: VmComplianceFacts;
  /** Frameworks required besides those in the policies (e.g. newly set by the tenant layer). */
  frameworks?: readonly ComplianceFramework[];
}

export interface ComplianceFinding {
  framework: ComplianceFramework;
  requirement: string;
  outcome: ComplianceOutcome;
  detail: string;
  /** The interfaces with this outcome (empty for VM-wide requirements). */
  interfaces: string[];
  /** Encryption requirements found missing. */
  missing: EncryptionRequirement[];
}

export interface ComplianceEvaluation {
  frameworks: ComplianceFramework[];
  status: ComplianceStatusName;
  findings: ComplianceFinding[];
}

const RANK: Record<ComplianceOutcome, number> = {
  met: 0,
  pending: 1,
  not_enforced: 2,
  violated: 3,
};

export const isViolation = (outcome: ComplianceOutcome): boolean =>
  outcome === "violated" || outcome === "not_enforced";

/** The frameworks a subject is under, in catalog order. */
export function frameworksOf(subject: ComplianceSubject): ComplianceFramework[] {
  const wanted = new Set<ComplianceFramework>(subject.frameworks ?? []);
  for (const iface of subject.interfaces)
    for (const f of iface.policy.compliance.frameworks) wanted.add(f);
  return COMPLIANCE_FRAMEWORKS.filter((f) => wanted.has(f));
}

function judge(
  rule: ComplianceRule,
  check: RuleCheck,
  host: HostEvidence,
): { outcome: ComplianceOutcome; detail: string } {
  if (!check.ok) return { outcome: "violated", detail: check.detail };
  for (const gap of check.relies ?? []) {
    const reason = gapReason(gap, host);
    if (reason) return { outcome: "not_enforced", detail: `${check.detail}; ${reason}` };
  }
  if (rule.evidence === "host" && !host.packetFiltering)
    return {
      outcome: "pending",
      detail: `${check.detail}; enforcement not verified: ${host.unverifiedReason}`,
    };
  return { outcome: "met", detail: check.detail };
}

export function evaluateRule(
  rule: ComplianceRule,
  subject: ComplianceSubject,
  host: HostEvidence,
): ComplianceFinding {
  const targets = rule.scope === "vm" ? subject.interfaces.slice(0, 1) : subject.interfaces;
  const named = rule.scope === "interface" && subject.interfaces.length > 1;
  let worst: ComplianceOutcome = "met";
  let detail = "";
  let interfaces: string[] = [];
  let missing: EncryptionRequirement[] = [];
  // One pass (this runs for every requirement of every VM on a reload): the worst outcome, the
  // first interface's detail for it, and every interface with it.
  for (const target of targets) {
    const check = rule.check(target.policy, subject.facts);
    const judged = judge(rule, check, host);
    if (!check.ok && check.missing) missing = [...new Set([...missing, ...check.missing])].sort();
    if (interfaces.length === 0 || RANK[judged.outcome] > RANK[worst]) {
      worst = judged.outcome;
      detail = named ? `${target.id}: ${judged.detail}` : judged.detail;
      interfaces = [target.id];
    } else if (judged.outcome === worst) interfaces.push(target.id);
  }
  return {
    framework: rule.framework,
    requirement: rule.requirement,
    outcome: worst,
    detail,
    interfaces: rule.scope === "interface" ? interfaces : [],
    missing,
  };
}

export function statusOf(
  findings: readonly { outcome: ComplianceOutcome }[],
): ComplianceStatusName {
  if (findings.some((f) => isViolation(f.outcome))) return "NON_COMPLIANT";
  if (findings.some((f) => f.outcome === "pending")) return "PENDING_AUDIT";
  return "COMPLIANT";
}

export function evaluateCompliance(
  subject: ComplianceSubject,
  host: HostEvidence,
): ComplianceEvaluation {
  const frameworks = frameworksOf(subject);
  const findings: ComplianceFinding[] = [];
  if (subject.interfaces.length > 0) {
    for (const rule of COMPLIANCE_RULES) {
      if (frameworks.includes(rule.framework)) findings.push(evaluateRule(rule, subject, host));
    }
  }
  return { frameworks, status: statusOf(findings), findings };
}
