// Which SIEM route an event takes, following the guide's event_routing block: critical events
// at once (CEF and JSON), audit events in batches of 100, performance events sampled at 0.1,
// and every other security event in ordinary batches. The host configuration's event_routing
// changes any of them (siemRoutesFromConfig), and may send a route to its own endpoint.
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
  /** Where this route goes (http(s)://, udp://, tcp://, tls://); unset: the SIEM's endpoint. */
  endpoint?: string;
}

/** One entry of the guide's event_routing, as the host configuration spells it (validated). */
export interface SiemRouteConfig {
  destination?: string;
  real_time?: boolean;
  batch_size?: number;
  formats?: readonly SiemFormat[];
  sampling_rate?: number;
  endpoint?: string;
  /** false: the category is not sent at all. */
  enabled?: boolean;
}

/** The guide's event_routing keys and the category each names. */
export const ROUTING_KEYS = {
  critical_events: "critical",
  audit_events: "audit",
  performance_events: "performance",
  security_events: "security",
} as const satisfies Record<string, EventCategory>;

export type SiemRoutingConfig = Partial<Record<keyof typeof ROUTING_KEYS, SiemRouteConfig>>;

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
 * The routes a host configuration asks for: each category the defaults route, with the fields
 * its event_routing entry gives replaced; a category with `enabled: false` is not sent. Two
 * routes may not share a destination name, since each name keeps its own position.
 */
export function siemRoutesFromConfig(
  routing: SiemRoutingConfig | undefined,
  securityFormats: readonly SiemFormat[],
): SiemRoute[] {
  const routes: SiemRoute[] = [];
  for (const base of defaultSiemRoutes(securityFormats)) {
    const key = (Object.keys(ROUTING_KEYS) as (keyof typeof ROUTING_KEYS)[]).find(
      (k) => ROUTING_KEYS[k] === base.category,
    ) as keyof typeof ROUTING_KEYS;
    const entry = routing?.[key];
    if (entry?.enabled === false) continue;
    routes.push({
      ...base,
      ...(entry?.destination !== undefined && { destination: entry.destination }),
      ...(entry?.real_time !== undefined && { realTime: entry.real_time }),
      ...(entry?.batch_size !== undefined && { batchSize: entry.batch_size }),
      ...(entry?.formats !== undefined && { formats: [...new Set(entry.formats)] }),
      ...(entry?.sampling_rate !== undefined && { samplingRate: entry.sampling_rate }),
      ...(entry?.endpoint !== undefined && { endpoint: entry.endpoint }),
    });
  }
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.destination))
      throw new RangeError(
        `destination ${JSON.stringify(route.destination)} is used by two routes`,
      );
    seen.add(route.destination);
  }
  return routes;
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
