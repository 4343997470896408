// A compliance report: per framework and tenant, every requirement with its evidence — for each
// VM, the outcome, the control and values that decided it, since when, and the change (version,
// action, actor, time) in force then — and the violations open at some time in the window, with
// the change that opened and the one that resolved each. Statuses are as of now: earlier points
// in time need the status history, which is not kept yet.
import {
  COMPLIANCE_FRAMEWORKS,
  type ComplianceFramework,
  type ComplianceRule,
  type ComplianceStatusName,
  type DatedFinding,
  isViolation,
  rulesOf,
  statusOf,
  unpackFindings,
} from "@metald/core";
import type {
  ComplianceRepository,
  ConfigChange,
  TenantComplianceRecord,
  ViolationRecord,
  VmComplianceRecord,
} from "@metald/db";

export interface ReportRequest {
  framework?: ComplianceFramework;
  tenantId?: string;
  start: Date;
  end: Date;
}

export interface VmEvidence {
  vmId: string;
  finding: DatedFinding;
  /** The change that stored the configuration version in force when the outcome began. */
  change?: ConfigChange;
}

export interface RequirementReport {
  rule: ComplianceRule;
  met: number;
  violated: number;
  pending: number;
  vms: VmEvidence[];
}

export interface ViolationEvidence {
  violation: ViolationRecord;
  opened?: ConfigChange;
  resolved?: ConfigChange;
}

export interface TenantReport {
  tenantId: string;
  /** For this framework. */
  status: ComplianceStatusName;
  /** The tenant's overall status (every framework) and since when. */
  overall?: TenantComplianceRecord;
  vmsChecked: number;
  vmsCompliant: number;
  vmsPendingAudit: number;
  requirements: RequirementReport[];
  violations: ViolationEvidence[];
}

export interface FrameworkReport {
  framework: ComplianceFramework;
  status: ComplianceStatusName;
  vmsChecked: number;
  vmsCompliant: number;
  vmsPendingAudit: number;
  tenants: TenantReport[];
}

export interface TenantSummary {
  tenantId: string;
  /** Over the reported frameworks. */
  status: ComplianceStatusName;
  vmsChecked: number;
  vmsCompliant: number;
  vmsPendingAudit: number;
  overall?: TenantComplianceRecord;
}

/** Over the reported frameworks: a VM's status is the worst of its findings in them. */
export interface ReportSummary {
  status: ComplianceStatusName;
  vmsChecked: number;
  vmsCompliant: number;
  vmsPendingAudit: number;
  tenants: TenantSummary[];
}

export interface ComplianceReport {
  generatedAt: Date;
  start: Date;
  end: Date;
  tenantId?: string;
  summary: ReportSummary;
  frameworks: FrameworkReport[];
}

const changeKey = (vmId: string, version: number) => `${vmId}#${version}`;

/** Violations open in the window, every page of them. */
async function windowViolations(repo: ComplianceRepository, r: ReportRequest) {
  const all: ViolationRecord[] = [];
  let beforeId: string | undefined;
  for (;;) {
    const page = await repo.listViolations({
      tenantId: r.tenantId,
      framework: r.framework,
      includeResolved: true,
      activeFrom: r.start,
      activeTo: r.end,
      beforeId,
      limit: 1000,
    });
    all.push(...page);
    if (page.length < 1000) return all;
    beforeId = page[page.length - 1]?.id;
  }
}

export async function buildComplianceReport(
  repo: ComplianceRepository,
  request: ReportRequest,
  now: Date,
): Promise<ComplianceReport> {
  const [vms, tenants, violations] = await Promise.all([
    repo.vmStatuses({ tenantId: request.tenantId }),
    repo.tenantStatuses({ tenantId: request.tenantId }),
    windowViolations(repo, request),
  ]);
  const keys = new Map<string, { vmId: string; version: number }>();
  const want = (vmId: string, version: number | null) => {
    if (version !== null) keys.set(changeKey(vmId, version), { vmId, version });
  };
  for (const vm of vms) for (const f of unpackFindings(vm.findings)) want(vm.vmId, f.configVersion);
  for (const v of violations) {
    want(v.vmId, v.openedConfigVersion);
    want(v.vmId, v.resolvedConfigVersion);
  }
  const changes = new Map(
    (await repo.configChanges([...keys.values()])).map((c) => [changeKey(c.vmId, c.version), c]),
  );
  const changeOf = (vmId: string, version: number | null) =>
    version === null ? undefined : changes.get(changeKey(vmId, version));
  const overall = new Map(tenants.map((t) => [t.tenantId, t]));
  const present = new Set([
    ...vms.flatMap((v) => v.frameworks),
    ...violations.map((v) => v.framework),
  ]);
  const frameworks = request.framework
    ? [request.framework]
    : COMPLIANCE_FRAMEWORKS.filter((f) => present.has(f));
  return {
    generatedAt: now,
    start: request.start,
    end: request.end,
    tenantId: request.tenantId,
    summary: summarize(vms, frameworks, overall),
    frameworks: frameworks.map((framework) =>
      frameworkReport(framework, vms, violations, overall, changeOf),
    ),
  };
}

function summarize(
  vms: VmComplianceRecord[],
  frameworks: ComplianceFramework[],
  overall: Map<string, TenantComplianceRecord>,
): ReportSummary {
  const judged = vms
    .filter((vm) => vm.frameworks.some((f) => frameworks.includes(f as ComplianceFramework)))
    .map((vm) => ({
      tenantId: vm.tenantId,
      status: statusOf(unpackFindings(vm.findings).filter((f) => frameworks.includes(f.framework))),
    }));
  const tenantIds = [...new Set(judged.map((j) => j.tenantId))].sort();
  const summaryOf = (statuses: ComplianceStatusName[]) => ({
    status: statusOf(statuses.map((s) => ({ outcome: outcomeOf(s) }))),
    ...counts(statuses),
  });
  return {
    ...summaryOf(judged.map((j) => j.status)),
    tenants: tenantIds.map((tenantId) => ({
      tenantId,
      ...summaryOf(judged.filter((j) => j.tenantId === tenantId).map((j) => j.status)),
      overall: overall.get(tenantId),
    })),
  };
}

function counts(statuses: ComplianceStatusName[]) {
  return {
    vmsChecked: statuses.length,
    vmsCompliant: statuses.filter((s) => s === "COMPLIANT").length,
    vmsPendingAudit: statuses.filter((s) => s === "PENDING_AUDIT").length,
  };
}

function frameworkReport(
  framework: ComplianceFramework,
  vms: VmComplianceRecord[],
  violations: ViolationRecord[],
  overall: Map<string, TenantComplianceRecord>,
  changeOf: (vmId: string, version: number | null) => ConfigChange | undefined,
): FrameworkReport {
  const under = vms.filter((v) => v.frameworks.includes(framework));
  const ofFramework = (vm: VmComplianceRecord) =>
    unpackFindings(vm.findings).filter((f) => f.framework === framework);
  const tenantIds = [
    ...new Set([
      ...under.map((v) => v.tenantId),
      ...violations.filter((v) => v.framework === framework).map((v) => v.tenantId),
    ]),
  ].sort();
  const tenants = tenantIds.map((tenantId): TenantReport => {
    const mine = under.filter((v) => v.tenantId === tenantId);
    const statuses = mine.map((vm) => statusOf(ofFramework(vm)));
    const requirements = rulesOf(framework).map((rule): RequirementReport => {
      const evidence = mine.flatMap((vm) => {
        const finding = ofFramework(vm).find((f) => f.requirement === rule.requirement);
        return finding
          ? [{ vmId: vm.vmId, finding, change: changeOf(vm.vmId, finding.configVersion) }]
          : [];
      });
      return {
        rule,
        met: evidence.filter((e) => e.finding.outcome === "met").length,
        violated: evidence.filter((e) => isViolation(e.finding.outcome)).length,
        pending: evidence.filter((e) => e.finding.outcome === "pending").length,
        vms: evidence,
      };
    });
    return {
      tenantId,
      status: statusOf(statuses.map((s) => ({ outcome: outcomeOf(s) }))),
      overall: overall.get(tenantId),
      ...counts(statuses),
      requirements,
      violations: violations
        .filter((v) => v.framework === framework && v.tenantId === tenantId)
        .map((violation) => ({
          violation,
          opened: changeOf(violation.vmId, violation.openedConfigVersion),
          resolved: changeOf(violation.vmId, violation.resolvedConfigVersion),
        })),
    };
  });
  const statuses = under.map((vm) => statusOf(ofFramework(vm)));
  return {
    framework,
    status: statusOf(statuses.map((s) => ({ outcome: outcomeOf(s) }))),
    ...counts(statuses),
    tenants,
  };
}

/** A status as the outcome it stands for, to combine statuses with statusOf. */
function outcomeOf(status: ComplianceStatusName) {
  return status === "NON_COMPLIANT" ? "violated" : status === "PENDING_AUDIT" ? "pending" : "met";
}
