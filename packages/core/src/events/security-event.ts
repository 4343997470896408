// One security event: what an operator or a SIEM sees of an enforcement action.

export type EventSeverity = "info" | "warning" | "error" | "critical";

export interface SecurityEvent {
  /** Sortable id ("evt-" + time-ordered suffix). */
  id: string;
  timestamp: Date;
  vmId: string | null;
  /** Tenant. */
  customerId: string | null;
  /** ra_guard_block, source_spoofing, rate_limit_exceeded, nd_rate_limit_exceeded, … */
  eventType: string;
  severity: EventSeverity;
  sourceIp: string | null;
  description: string;
  details: Record<string, unknown>;
  /** Packets (or occurrences) this event stands for. */
  count: number;
}
