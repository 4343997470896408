// One batch of events rendered in a SIEM format: NDJSON of ECS documents, or one CEF or LEEF
// record per line; with the host configuration's enrichment, each record carries its VM's facts.
import {
  type EventSeverity,
  enrichCef,
  enrichEcs,
  enrichLeef,
  formatCef,
  formatLeef,
  type SecurityEvent,
  type SiemContext,
  type SiemEnrichment,
  type SiemFormat,
  toEcsDocument,
} from "@metald/core";
import type { StoredSecurityEvent } from "@metald/db";

export const CONTENT_TYPES: Record<SiemFormat, string> = {
  json: "application/x-ndjson",
  cef: "text/plain; charset=utf-8",
  leef: "text/plain; charset=utf-8",
};

/** Enrichment facts per VM id; events without a VM, or of a VM not found, go as they are. */
export type VmFacts = ReadonlyMap<string, SiemEnrichment>;

export function asSecurityEvent(e: StoredSecurityEvent): SecurityEvent {
  const { seq: _, ...event } = e;
  return { ...event, severity: e.severity as EventSeverity };
}

export function renderEvent(
  e: StoredSecurityEvent,
  format: SiemFormat,
  context: SiemContext,
  facts?: VmFacts,
) {
  const event = asSecurityEvent(e);
  const vm = e.vmId ? facts?.get(e.vmId) : undefined;
  switch (format) {
    case "json": {
      const doc = toEcsDocument(event, context);
      return JSON.stringify(vm ? enrichEcs(doc, vm) : doc);
    }
    case "cef": {
      const record = formatCef(event, context);
      return vm ? enrichCef(record, vm) : record;
    }
    case "leef": {
      const record = formatLeef(event, context);
      return vm ? enrichLeef(record, vm) : record;
    }
  }
}

export function renderBatch(
  events: StoredSecurityEvent[],
  format: SiemFormat,
  context: SiemContext,
  facts?: VmFacts,
): string {
  return `${events.map((e) => renderEvent(e, format, context, facts)).join("\n")}\n`;
}
