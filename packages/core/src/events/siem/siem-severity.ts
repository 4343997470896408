// Maps event severity onto the 0–10 scale that CEF, LEEF and ECS consumers share.
import type { EventSeverity } from "../security-event.js";

export const SIEM_SEVERITY: Readonly<Record<EventSeverity, number>> = {
  info: 2,
  warning: 5,
  error: 7,
  critical: 10,
};

export const siemSeverity = (severity: EventSeverity): number => SIEM_SEVERITY[severity];
