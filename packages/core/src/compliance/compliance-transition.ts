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
  /** Nothing to store but the evaluation time: same status, violations and findings. */
  unchanged: boolean;
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
  const before = new Map<string, DatedFinding>();
  for (const f of previous?.findings ?? []) before.set(ruleKey(f.framework, f.requirement), f);
  const open = new Set(previous?.openViolations ?? []);
  const now = at.toISOString();
  // Written out rather than spread: this runs for every requirement of every VM on a reload.
  const findings = next.findings.map((f): DatedFinding => {
    const old = before.get(ruleKey(f.framework, f.requirement));
    const kept = old !== undefined && old.outcome === f.outcome;
    return {
      framework: f.framework,
      requirement: f.requirement,
      outcome: f.outcome,
      detail: f.detail,
      interfaces: f.interfaces,
      missing: f.missing,
      since: kept ? old.since : now,
      configVersion: kept ? old.configVersion : configVersion,
    };
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
    unchanged:
      !statusChanged &&
      opened.length === 0 &&
      resolved.length === 0 &&
      sameFindings(previous?.findings ?? [], findings),
    findings,
    opened,
    resolved,
  };
}

function sameFindings(a: readonly DatedFinding[], b: readonly DatedFinding[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as DatedFinding;
    const y = b[i] as DatedFinding;
    if (
      x.framework !== y.framework ||
      x.requirement !== y.requirement ||
      x.outcome !== y.outcome ||
      x.detail !== y.detail ||
      x.since !== y.since ||
      x.configVersion !== y.configVersion ||
      x.interfaces.join() !== y.interfaces.join()
    )
      return false;
  }
  return true;
}

/** A deleted VM: every open violation is closed. */
export function deletedVmViolations(openViolations: readonly string[]): ResolvedViolation[] {
  return openViolations.map((key) => ({ ...splitKey(key), resolution: "vm_deleted" }));
}

/**
 * A stored finding: [framework, requirement, outcome, detail, since, configVersion, interfaces].
 * Tuples rather than objects: a reload rewrites every VM's findings, and their size is most of
 * the cost of that write (objects with their keys are 1.75 times as large). The encryption
 * requirements found missing are not stored: they count when a violation opens.
 */
export type PackedFinding = [string, string, string, string, string, number | null, string[]];

export function packFindings(findings: readonly DatedFinding[]): PackedFinding[] {
  return findings.map((f) => [
    f.framework,
    f.requirement,
    f.outcome,
    f.detail,
    f.since,
    f.configVersion,
    f.interfaces,
  ]);
}

export function unpackFindings(stored: unknown): DatedFinding[] {
  if (!Array.isArray(stored)) return [];
  return (stored as PackedFinding[]).map((p) => ({
    framework: p[0] as ComplianceFramework,
    requirement: p[1],
    outcome: p[2] as DatedFinding["outcome"],
    detail: p[3],
    since: p[4],
    configVersion: p[5],
    interfaces: p[6],
    missing: [],
  }));
}
