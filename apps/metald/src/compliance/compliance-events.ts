// The security events of compliance: each new violation (compliance_violation) and each resolved
// one (compliance_restored), through the event pipeline like any other, so that SIEM routes, the
// feed and the live stream see them. A reload that puts thousands of VMs under a framework opens
// the same few violations on each of them: the events of one write share one description and
// one (frozen) details object per distinct content, built once, which the event log then sends
// and parses once (see insertSecurityEvents).
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

interface Content {
  severity: EventInput["severity"];
  description: string;
  details: Readonly<Record<string, unknown>>;
}

function violationContent(v: ViolationRecord, status: string): Content {
  const rule = findRule(v.framework, v.requirement);
  const what = v.outcome === "not_enforced" ? "not enforced on this host" : "violated";
  return {
    severity: v.severity === "warning" ? "warning" : "error",
    description: `${v.framework} ${v.requirement} (${rule?.title ?? "requirement"}) ${what}: ${v.detail}`,
    details: Object.freeze({
      framework: v.framework,
      requirement: v.requirement,
      title: rule?.title ?? "",
      outcome: v.outcome,
      detail: v.detail,
      fix_fields: rule?.fields ?? [],
      evidence: rule?.evidence ?? "",
      config_version: v.openedConfigVersion,
      vm_status: status,
    }),
  };
}

function restoredContent(v: ResolvedViolationRecord, status: string): Content {
  const rule = findRule(v.framework, v.requirement);
  const resolution = v.resolution ?? "resolved";
  return {
    severity: "info",
    description: `${v.framework} ${v.requirement} (${rule?.title ?? "requirement"}) ${RESOLUTION_WORDS[resolution] ?? resolution}`,
    details: Object.freeze({
      framework: v.framework,
      requirement: v.requirement,
      title: rule?.title ?? "",
      resolution,
      opened_at: v.openedAt.toISOString(),
      config_version: v.resolvedConfigVersion,
      vm_status: status,
    }),
  };
}

export interface ComplianceEvents {
  violation(v: ViolationRecord, vm: VmContext): EventInput;
  restored(v: ResolvedViolationRecord, vm: VmContext): EventInput;
}

/**
 * The events of one write. Events with the same content (every field but the VM, tenant and
 * time) share one description and details object; the details are frozen because they are
 * shared.
 */
export function createComplianceEvents(): ComplianceEvents {
  const contents = new Map<string, Content>();
  const shared = (key: string, build: () => Content) => {
    let content = contents.get(key);
    if (content === undefined) {
      content = build();
      contents.set(key, content);
    }
    return content;
  };
  return {
    violation(v, vm) {
      const { severity, description, details } = shared(
        `v\0${v.framework}\0${v.requirement}\0${v.outcome}\0${v.severity}\0${v.detail}\0${v.openedConfigVersion}\0${vm.status}`,
        () => violationContent(v, vm.status),
      );
      return {
        vmId: v.vmId,
        customerId: v.tenantId,
        eventType: "compliance_violation",
        severity,
        description,
        details,
        timestamp: v.openedAt,
        retentionDays: vm.retentionDays,
      };
    },
    restored(v, vm) {
      const { severity, description, details } = shared(
        `r\0${v.framework}\0${v.requirement}\0${v.resolution}\0${v.openedAt.getTime()}\0${v.resolvedConfigVersion}\0${vm.status}`,
        () => restoredContent(v, vm.status),
      );
      return {
        vmId: v.vmId,
        customerId: v.tenantId,
        eventType: "compliance_restored",
        severity,
        description,
        details,
        timestamp: v.resolvedAt ?? undefined,
        retentionDays: vm.retentionDays,
      };
    },
  };
}
