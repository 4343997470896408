// An event's severity in words, with a tone.
import { EventSeverity } from "@metald/proto";
import { Badge, type BadgeTone } from "../../../shared/ui/badge";

export const EVENT_SEVERITIES: readonly {
  severity: EventSeverity;
  name: string;
  label: string;
  tone: BadgeTone;
}[] = [
  { severity: EventSeverity.INFO, name: "INFO", label: "Info", tone: "info" },
  { severity: EventSeverity.WARNING, name: "WARNING", label: "Warning", tone: "warning" },
  { severity: EventSeverity.ERROR, name: "ERROR", label: "Error", tone: "danger" },
  { severity: EventSeverity.CRITICAL, name: "CRITICAL", label: "Critical", tone: "danger" },
];

export function severityOfName(name: string): EventSeverity {
  return EVENT_SEVERITIES.find((s) => s.name === name)?.severity ?? EventSeverity.UNSPECIFIED;
}

export function EventSeverityBadge({ severity }: { severity: EventSeverity }) {
  const s = EVENT_SEVERITIES.find((x) => x.severity === severity);
  return <Badge tone={s?.tone ?? "neutral"}>{s?.label ?? "Unknown"}</Badge>;
}

/** ra_guard_block → "ra guard block" */
export function eventTypeLabel(type: string): string {
  return type.replaceAll("_", " ");
}
