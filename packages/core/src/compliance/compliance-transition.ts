// From a VM's previous compliance record and a new evaluation: which violations are new (each
// one an event and a metric increment), which are resolved, and since when each requirement and
// the status hold what they hold.
import type { ComplianceFramework } from "../policy/security-policy.js";
import { ruleKey } from "./compliance-rules.js";
import {
  type ComplianceEvaluation,
  type ComplianceFinding,
  type ComplianceStatusName,
  isViolation,
} from "./evaluate-compliance.js";

/** A finding as stored: since when its outcome holds and the configuration version then. */
export interface DatedFinding extends ComplianceFinding {
  /** ISO 8601. */
  since: string;
  configVersion: number | null;
}

export interface PreviousCompliance {
  status: ComplianceStatusName;
  since: Date;
  findings: DatedFinding[];
  /** "framework requirement" of each open violation. */
  openViolations: readonly string[];
}

/**
 * resolved: the configuration or the host now meets it; not_required: the VM is no longer under
 * its framework; vm_deleted: the VM is gone.
 */
export type ViolationResolution = "resolved" | "not_required" | "vm_deleted";

export interface ResolvedViolation {
  framework: ComplianceFramework;
  requirement: string;
  resolution: ViolationResolution;
}

export interface ComplianceTransition {
  status: ComplianceStatusName;
  statusSince: Date;
  statusChanged: boolean;
  findings: DatedFinding[];
  opened: ComplianceFinding[];
  resolved: ResolvedViolation[];
}

function splitKey(key: string): { framework: ComplianceFramework; requirement: string } {
  const space = key.indexOf(" ");
  return {
    framework: key.slice(0, space) as ComplianceFramework,
    requirement: key.slice(space + 1),
  };
}

export function complianceTransition(
  previous: PreviousCompliance | undefined,
  next: ComplianceEvaluation,
  at: Date,
  configVersion: number | null,
): ComplianceTransition {
  const before = new Map(
    (previous?.findings ?? []).map((f) => [ruleKey(f.framework, f.requirement), f]),
  );
  const open = new Set(previous?.openViolations ?? []);
  const findings = next.findings.map((f): DatedFinding => {
    const old = before.get(ruleKey(f.framework, f.requirement));
    return old && old.outcome === f.outcome
      ? { ...f, since: old.since, configVersion: old.configVersion }
      : { ...f, since: at.toISOString(), configVersion };
  });
  const violating = new Set(
    next.findings
      .filter((f) => isViolation(f.outcome))
      .map((f) => ruleKey(f.framework, f.requirement)),
  );
  const opened = next.findings.filter(
    (f) => isViolation(f.outcome) && !open.has(ruleKey(f.framework, f.requirement)),
  );
  const resolved = [...open]
    .filter((key) => !violating.has(key))
    .map((key): ResolvedViolation => {
      const { framework, requirement } = splitKey(key);
      return {
        framework,
        requirement,
        resolution: next.frameworks.includes(framework) ? "resolved" : "not_required",
      };
    });
  const statusChanged = previous === undefined || previous.status !== next.status;
  return {
    status: next.status,
    statusSince: statusChanged ? at : (previous as PreviousCompliance).since,
    statusChanged,
    findings,
    opened,
    resolved,
  };
}

/** A deleted VM: every open violation is closed. */
export function deletedVmViolations(openViolations: readonly string[]): ResolvedViolation[] {
  return openViolations.map((key) => ({ ...splitKey(key), resolution: "vm_deleted" }));
}
