// Security events the control plane raises about itself: configuration changes (with the
// controls they touched), quarantine and release, and repairs made by the reconciler.
import type { SecurityPolicy } from "@metald/core";
import type { EventInput } from "../events/event-pipeline.js";

export interface ControlEventSink {
  /** Resolves once the events are stored, so a change is not acknowledged before its event. */
  store(events: EventInput[]): Promise<void>;
}

interface VmRef {
  vmId: string;
  tenantId: string;
  policy?: SecurityPolicy;
}

const retentionOf = (vm: VmRef) => vm.policy?.compliance.dataRetentionDays;

/** Top-level controls of the effective policy whose values differ. */
export function changedControls(
  before: SecurityPolicy | undefined,
  after: SecurityPolicy | undefined,
): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  return [...keys].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k])).sort();
}

export function configChangeEvent(
  vm: VmRef,
  action: string,
  actor: string,
  details: Record<string, unknown> = {},
): EventInput {
  return {
    vmId: vm.vmId,
    customerId: vm.tenantId,
    eventType: "config_change",
    severity: "info",
    description: `${action} by ${actor}`,
    details: { action, actor, ...details },
    retentionDays: retentionOf(vm),
  };
}

export function quarantineEvent(
  vm: VmRef,
  isolated: boolean,
  reason: string,
  actor: string,
): EventInput {
  return {
    vmId: vm.vmId,
    customerId: vm.tenantId,
    eventType: isolated ? "vm_quarantined" : "vm_released",
    severity: isolated ? "warning" : "info",
    description: isolated
      ? `VM quarantined by ${actor}: ${reason || "no reason given"}`
      : `VM released from quarantine by ${actor}`,
    details: { actor, reason },
    retentionDays: retentionOf(vm),
  };
}

export function reconcileRepairEvent(vms: number, created: number, removed: string[]): EventInput {
  return {
    vmId: null,
    customerId: null,
    eventType: "reconcile_repair",
    severity: "warning",
    description: `reconcile recreated ${created} missing link(s) and removed ${removed.length} leftover(s) for ${vms} VM(s)`,
    details: { vms, created, removed },
  };
}
