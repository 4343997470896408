// Compliance records as the REST routes answer them (snake_case JSON).
import { type DatedFinding, findRule, unpackFindings } from "@metald/core";
import type { ConfigChange, ViolationRecord, VmComplianceRecord } from "@metald/db";
import type { ComplianceReport } from "./compliance-report.js";

export function changeJson(c: ConfigChange | undefined) {
  return c
    ? {
        config_version: c.version,
        at: c.at.toISOString(),
        action: c.action,
        actor: c.actor,
        audit_id: c.auditId,
      }
    : null;
}

export function violationJson(v: ViolationRecord) {
  const rule = findRule(v.framework, v.requirement);
  return {
    vm_id: v.vmId,
    customer_id: v.tenantId,
    framework: v.framework,
    requirement: v.requirement,
    title: rule?.title ?? "",
    outcome: v.outcome,
    severity: v.severity,
    detail: v.detail,
    fix_fields: rule?.fields ?? [],
    opened_at: v.openedAt.toISOString(),
    opened_config_version: v.openedConfigVersion,
    resolved_at: v.resolvedAt?.toISOString() ?? null,
    resolved_config_version: v.resolvedConfigVersion,
    resolution: v.resolution,
  };
}

export function findingJson(f: DatedFinding) {
  const rule = findRule(f.framework, f.requirement);
  return {
    framework: f.framework,
    requirement: f.requirement,
    title: rule?.title ?? "",
    outcome: f.outcome,
    detail: f.detail,
    severity: rule?.severity ?? "error",
    evidence: rule?.evidence ?? "",
    since: f.since,
    config_version: f.configVersion,
    interfaces: f.interfaces,
    fix_fields: rule?.fields ?? [],
  };
}

export function vmStatusJson(record: VmComplianceRecord, violations: ViolationRecord[]) {
  return {
    vm_id: record.vmId,
    customer_id: record.tenantId,
    status: record.status,
    since: record.since.toISOString(),
    last_audit: record.evaluatedAt.toISOString(),
    config_version: record.configVersion,
    frameworks: record.frameworks,
    requirements: unpackFindings(record.findings).map(findingJson),
    violations: violations.map(violationJson),
  };
}

export function reportJson(r: ComplianceReport) {
  return {
    generated_at: r.generatedAt.toISOString(),
    start: r.start.toISOString(),
    end: r.end.toISOString(),
    customer_id: r.tenantId ?? null,
    status: r.summary.status,
    vms_checked: r.summary.vmsChecked,
    vms_compliant: r.summary.vmsCompliant,
    vms_pending_audit: r.summary.vmsPendingAudit,
    tenants: r.summary.tenants.map((t) => ({
      customer_id: t.tenantId,
      status: t.status,
      vms_checked: t.vmsChecked,
      vms_compliant: t.vmsCompliant,
      vms_pending_audit: t.vmsPendingAudit,
      tenant_status: t.overall?.status ?? null,
      tenant_status_since: t.overall?.since.toISOString() ?? null,
    })),
    frameworks: r.frameworks.map((f) => ({
      framework: f.framework,
      status: f.status,
      vms_checked: f.vmsChecked,
      vms_compliant: f.vmsCompliant,
      vms_pending_audit: f.vmsPendingAudit,
      tenants: f.tenants.map((t) => ({
        customer_id: t.tenantId,
        status: t.status,
        vms_checked: t.vmsChecked,
        vms_compliant: t.vmsCompliant,
        vms_pending_audit: t.vmsPendingAudit,
        requirements: t.requirements.map((q) => ({
          requirement: q.rule.requirement,
          title: q.rule.title,
          description: q.rule.description,
          severity: q.rule.severity,
          evidence: q.rule.evidence,
          fix_fields: q.rule.fields,
          vms_met: q.met,
          vms_violated: q.violated,
          vms_pending_audit: q.pending,
          vms: q.vms.map((e) => ({
            vm_id: e.vmId,
            outcome: e.finding.outcome,
            control: e.finding.detail,
            interfaces: e.finding.interfaces,
            since: e.finding.since,
            change: changeJson(e.change),
          })),
        })),
        violations: t.violations.map((v) => ({
          ...violationJson(v.violation),
          opened_by: changeJson(v.opened),
          resolved_by: changeJson(v.resolved),
        })),
      })),
    })),
  };
}
