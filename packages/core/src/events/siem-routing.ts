// Which SIEM route an event takes, following the guide's event_routing block: critical events
// at once (CEF and JSON), audit events in batches of 100, performance events sampled at 0.1,
// and every other security event in ordinary batches.
import type { SecurityEvent } from "./security-event.js";

export type EventCategory = "critical" | "audit" | "performance" | "security";

export interface SiemRoute {
  category: EventCategory;
  /** The guide's destination name, sent to the SIEM with each batch. */
  destination: string;
  realTime: boolean;
  batchSize: number;
  formats: readonly SiemFormat[];
  /** Fraction of events sent (1 = all). */
  samplingRate: number;
}

export type SiemFormat = "json" | "cef" | "leef";

/** Control-plane event types: changes made by operators or by metald itself, and their compliance. */
const AUDIT_EVENT_TYPES = new Set([
  "config_change",
  "vm_quarantined",
  "vm_released",
  "blocked_source_added",
  "blocked_source_removed",
  "reconcile_repair",
  "authentication_failure",
  "monitoring_enhanced",
  // Compliance findings go to the guide's compliance_audit destination.
  "compliance_violation",
  "compliance_restored",
]);

/** Rate limits on volume (not on protocol floods) concern capacity more than attacks. */
const CAPACITY_LIMITS = new Set(["pps", "bandwidth", "connections"]);

export function eventCategory(
  event: Pick<SecurityEvent, "eventType" | "severity" | "details">,
): EventCategory {
  if (event.severity === "critical") return "critical";
  if (AUDIT_EVENT_TYPES.has(event.eventType)) return "audit";
  if (
    event.eventType === "rate_limit_exceeded" &&
    CAPACITY_LIMITS.has(String(event.details.limit_type))
  )
    return "performance";
  return "security";
}

export function defaultSiemRoutes(securityFormats: readonly SiemFormat[]): SiemRoute[] {
  return [
    {
      category: "critical",
      destination: "security_operations",
      realTime: true,
      batchSize: 100,
      formats: ["cef", "json"],
      samplingRate: 1,
    },
    {
      category: "audit",
      destination: "compliance_audit",
      realTime: false,
      batchSize: 100,
      formats: ["json"],
      samplingRate: 1,
    },
    {
      category: "performance",
      destination: "performance_monitoring",
      realTime: false,
      batchSize: 100,
      formats: ["json"],
      samplingRate: 0.1,
    },
    {
      category: "security",
      destination: "security_events",
      realTime: false,
      batchSize: 100,
      formats: securityFormats,
      samplingRate: 1,
    },
  ];
}

/**
 * Deterministic sampling on the event id (FNV-1a, then murmur3's finalizer to spread the bits
 * of ids that differ only at the end), so a batch that is retried or re-read after
 * a restart keeps or drops the same events.
 */
export function sampledIn(eventId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let hash = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    hash ^= eventId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  hash = (hash ^ (hash >>> 16)) >>> 0;
  return hash / 0x1_0000_0000 < rate;
}
