// Security events the control plane raises about itself: configuration changes (with the
// controls they touched), quarantine and release, and repairs made by the reconciler.
//
// A VM change's event is written by the change's own transaction, with its audit record (see
// VmRepository), so a crash can never keep one without the other. The event describes the
// change as stored, before the host applied it: if the host then refuses it, the rollback is a
// change of its own (audit `<action>_reverted`, `vm.isolate_failed`, `vm.create_failed`) and
// writes a compensating event the same way. We chose this over writing the event once the host
// applied the change (a second transaction, plus a recovery at start for changes committed
// without their event): one transaction needs no recovery, and the log mirrors the audit trail
// one to one (each event carries `details.audit_id`).
import type { SecurityPolicy } from "@metald/core";
import type { NewSecurityEvent, StoredSecurityEvent } from "@metald/db";
import type { EventInput } from "../events/event-pipeline.js";

export interface ControlEventSink {
  /** The row of a change's event, for the change's transaction to store. */
  prepare(input: EventInput): NewSecurityEvent;
  /** Tells the live stream, metrics and SIEM forwarder about events a change committed. */
  announce(stored: StoredSecurityEvent[]): void;
  /** Stores events that belong to no VM change (reconcile repairs); resolves once stored. */
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

/**
 * The compensating event of a quarantine or release the host refused: the stored flag went back,
 * so the event says what holds now (a refused isolate leaves the VM released, and so on).
 */
export function quarantineRevertedEvent(
  vm: VmRef,
  isolatedNow: boolean,
  action: string,
  error: string,
  actor: string,
): EventInput {
  return {
    vmId: vm.vmId,
    customerId: vm.tenantId,
    eventType: isolatedNow ? "vm_quarantined" : "vm_released",
    severity: isolatedNow ? "warning" : "info",
    description: `${action} by ${actor} failed on the host; the VM stays ${isolatedNow ? "quarantined" : "released"}`,
    details: { actor, action: `${action}_failed`, error },
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
