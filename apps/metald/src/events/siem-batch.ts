// One batch of events rendered in a SIEM format: NDJSON of ECS documents, or one CEF or LEEF
// record per line.
import {
  type EventSeverity,
  formatCef,
  formatLeef,
  type SecurityEvent,
  type SiemContext,
  type SiemFormat,
  toEcsDocument,
} from "@metald/core";
import type { StoredSecurityEvent } from "@metald/db";

export const CONTENT_TYPES: Record<SiemFormat, string> = {
  json: "application/x-ndjson",
  cef: "text/plain; charset=utf-8",
  leef: "text/plain; charset=utf-8",
};

export function asSecurityEvent(e: StoredSecurityEvent): SecurityEvent {
  const { seq: _, ...event } = e;
  return { ...event, severity: e.severity as EventSeverity };
}

export function renderEvent(e: StoredSecurityEvent, format: SiemFormat, context: SiemContext) {
  const event = asSecurityEvent(e);
  switch (format) {
    case "json":
      return JSON.stringify(toEcsDocument(event, context));
    case "cef":
      return formatCef(event, context);
    case "leef":
      return formatLeef(event, context);
  }
}

export function renderBatch(
  events: StoredSecurityEvent[],
  format: SiemFormat,
  context: SiemContext,
): string {
  return `${events.map((e) => renderEvent(e, format, context)).join("\n")}\n`;
}
