// The security events of compliance: each new violation (compliance_violation) and each resolved
// one (compliance_restored), through the event pipeline like any other, so that SIEM routes, the
// feed and the live stream see them.
import { findRule } from "@metald/core";
import type { ResolvedViolationRecord, ViolationRecord } from "@metald/db";
import type { EventInput } from "../events/event-pipeline.js";

const RESOLUTION_WORDS: Record<string, string> = {
  resolved: "met again",
  not_required: "no longer required (the VM left the framework)",
  vm_deleted: "closed: the VM was deleted",
};

export interface VmContext {
  /** The VM's status after the change. */
  status: string;
  retentionDays?: number;
}

export function violationEvent(v: ViolationRecord, vm: VmContext): EventInput {
  const rule = findRule(v.framework, v.requirement);
  const what = v.outcome === "not_enforced" ? "not enforced on this host" : "violated";
  return {
    vmId: v.vmId,
    customerId: v.tenantId,
    eventType: "compliance_violation",
    severity: v.severity === "warning" ? "warning" : "error",
    description: `${v.framework} ${v.requirement} (${rule?.title ?? "requirement"}) ${what}: ${v.detail}`,
    details: {
      framework: v.framework,
      requirement: v.requirement,
      title: rule?.title ?? "",
      outcome: v.outcome,
      detail: v.detail,
      fix_fields: rule?.fields ?? [],
      evidence: rule?.evidence ?? "",
      config_version: v.openedConfigVersion,
      vm_status: vm.status,
    },
    timestamp: v.openedAt,
    retentionDays: vm.retentionDays,
  };
}

export function restoredEvent(v: ResolvedViolationRecord, vm: VmContext): EventInput {
  const rule = findRule(v.framework, v.requirement);
  const resolution = v.resolution ?? "resolved";
  return {
    vmId: v.vmId,
    customerId: v.tenantId,
    eventType: "compliance_restored",
    severity: "info",
    description: `${v.framework} ${v.requirement} (${rule?.title ?? "requirement"}) ${RESOLUTION_WORDS[resolution] ?? resolution}`,
    details: {
      framework: v.framework,
      requirement: v.requirement,
      title: rule?.title ?? "",
      resolution,
      opened_at: v.openedAt.toISOString(),
      config_version: v.resolvedConfigVersion,
      vm_status: vm.status,
    },
    timestamp: v.resolvedAt ?? undefined,
    retentionDays: vm.retentionDays,
  };
}
