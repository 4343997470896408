// The pure part of re-evaluating a batch of VMs: evaluate each against the host evidence and its
// tenant layer, then diff with its stored compliance. What changed becomes a write (status,
// violations opened and resolved); an unchanged VM only gets its evaluation time. VMs with the
// same stored policies, facts and frameworks share one evaluation (`memo`, one per run: the host
// evidence is fixed within it).
import {
  type ComplianceEvaluation,
  complianceTransition,
  evaluateCompliance,
  findRule,
  type HostEvidence,
  isViolation,
  type PolicyLayer,
  packFindings,
  ruleKey,
} from "@metald/core";
import type { VmComplianceWrite } from "@metald/db";
import type { StoredCompliance } from "./compliance-cache.js";
import {
  type ComplianceInput,
  complianceSubject,
  requiredFrameworks,
} from "./compliance-subject.js";

export interface BatchVm {
  input: ComplianceInput;
  stored: StoredCompliance;
  tenantLayer: PolicyLayer | undefined;
}

/** A VM's outcome: what its events need, and its compliance as stored once written. */
export interface EvaluatedVm {
  evaluation: ComplianceEvaluation;
  status: string;
  retentionDays?: number;
  next: StoredCompliance;
  changed: boolean;
}

export interface PlannedBatch {
  writes: VmComplianceWrite[];
  /** VMs evaluated again without a change. */
  evaluated: { vmId: string; tenantId: string }[];
  vms: Map<string, EvaluatedVm>;
  /** Milliseconds evaluating the rules, and diffing with the stored compliance. */
  evaluateMs: number;
  diffMs: number;
}

/** Shared evaluations, with the retention days of the policy evaluated (for the events). */
export type EvaluationMemo = Map<
  string,
  { evaluation: ComplianceEvaluation; retentionDays: number | undefined }
>;

function evaluationKey(
  input: ComplianceInput,
  frameworks: readonly string[],
  tenantLayer: PolicyLayer | undefined,
): string {
  // Without interfaces the tenant layer's controls are evaluated too (see complianceSubject).
  const controls = input.effective.interfaces.length > 0 ? "" : JSON.stringify(tenantLayer ?? null);
  return `${input.effective.id}|${input.profile}|${input.dataResidency}|${frameworks.join(",")}|${controls}`;
}

export function planComplianceBatch(
  vms: readonly BatchVm[],
  host: HostEvidence,
  at: Date,
  memo: EvaluationMemo,
): PlannedBatch {
  const planned: PlannedBatch = {
    writes: [],
    evaluated: [],
    vms: new Map(),
    evaluateMs: 0,
    diffMs: 0,
  };
  for (const { input, stored, tenantLayer } of vms) {
    let started = performance.now();
    const frameworks = requiredFrameworks(input, tenantLayer);
    const key = evaluationKey(input, frameworks, tenantLayer);
    let shared = memo.get(key);
    if (shared === undefined) {
      const subject = complianceSubject(input, tenantLayer, frameworks);
      shared = {
        evaluation: evaluateCompliance(subject, host),
        retentionDays: subject.interfaces[0]?.policy.compliance.dataRetentionDays,
      };
      memo.set(key, shared);
    }
    const { evaluation, retentionDays } = shared;
    planned.evaluateMs += performance.now() - started;
    started = performance.now();
    const t = complianceTransition(stored.previous, evaluation, at, input.configVersion);
    const changed = !(t.unchanged && stored.configVersion === input.configVersion);
    const next: StoredCompliance = changed
      ? {
          previous: {
            status: t.status,
            since: t.statusSince,
            findings: t.findings,
            // After the write, the open violations are exactly the violating findings.
            openViolations: evaluation.findings
              .filter((f) => isViolation(f.outcome))
              .map((f) => ruleKey(f.framework, f.requirement)),
          },
          configVersion: input.configVersion,
        }
      : stored;
    planned.vms.set(input.vmId, { evaluation, status: t.status, retentionDays, next, changed });
    if (changed)
      planned.writes.push({
        vmId: input.vmId,
        tenantId: input.tenantId,
        status: t.status,
        since: t.statusSince,
        configVersion: input.configVersion,
        frameworks: evaluation.frameworks,
        findings: packFindings(t.findings),
        opened: t.opened.map((f) => ({
          framework: f.framework,
          requirement: f.requirement,
          outcome: f.outcome,
          severity: findRule(f.framework, f.requirement)?.severity ?? "error",
          detail: f.detail,
        })),
        resolved: t.resolved,
      });
    else planned.evaluated.push({ vmId: input.vmId, tenantId: input.tenantId });
    planned.diffMs += performance.now() - started;
  }
  return planned;
}
