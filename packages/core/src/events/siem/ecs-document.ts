// Elastic Common Schema documents for security events, so SIEMs index them without custom parsers.
import type { EventSeverity, SecurityEvent } from "../security-event.js";
import { detailText } from "./detail-text.js";
import type { SiemContext } from "./siem-context.js";
import { siemSeverity } from "./siem-severity.js";

export const ECS_VERSION = "8.11.0";

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Absent facts are omitted, never written as null, so they do not shadow other sources. */
export interface EcsDocument {
  "@timestamp"?: string;
  message: string;
  ecs: { version: string };
  event: {
    id: string;
    kind: "alert" | "event";
    category: string[];
    type: string[];
    action: string;
    severity: number;
    dataset: "metald.security";
    module: "metald";
  };
  log: { level: EventSeverity };
  source?: { ip: string };
  destination?: { ip: string };
  network?: { type: "ipv4" | "ipv6" };
  observer: {
    vendor: string;
    product: string;
    version: string;
    hostname: string;
    type: "firewall";
    ingress?: { interface: { name: string } };
  };
  rule: { id?: string; name: string; ruleset: "metald_security" };
  labels?: { vm_id?: string; customer_id?: string };
  /** Fields outside ECS live under the product's own namespace. */
  metald: {
    vm_id?: string;
    customer_id?: string;
    count?: number;
    details: { [key: string]: JsonValue };
  };
}

/** Deep enough for any real detail payload, shallow enough to stop on cycles. */
const DETAIL_DEPTH = 8;

/** Keeps what survives JSON: details are free-form and the document must serialise and index. */
function jsonValue(value: unknown, depth: number): JsonValue | undefined {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || depth >= DETAIL_DEPTH) return undefined;
  if (value instanceof Date) {
    return Number.isFinite(value.getTime()) ? value.toISOString() : undefined;
  }
  if (Array.isArray(value)) return value.map((item) => jsonValue(item, depth + 1) ?? null);
  return jsonObject(value as Record<string, unknown>, depth + 1);
}

function jsonObject(value: Record<string, unknown>, depth: number): { [key: string]: JsonValue } {
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, item]) => {
      const json = jsonValue(item, depth);
      return json === undefined || json === null ? [] : [[key, json] as const];
    }),
  );
}

/** Config and audit records describe changes to policy, not traffic. */
const isConfiguration = (eventType: string): boolean => /^(config_|audit)/.test(eventType);

function classify(
  eventType: string,
  control: string | null,
): { category: string[]; type: string[] } {
  if (isConfiguration(eventType)) {
    return {
      category: ["configuration"],
      type: [eventType.startsWith("config_") ? "change" : "info"],
    };
  }
  // A kernel control only reports packets it dropped.
  return {
    category: ["network", "intrusion_detection"],
    type: [control === null ? "info" : "denied"],
  };
}

function networkType(...addresses: (string | null)[]): "ipv4" | "ipv6" | undefined {
  const known = addresses.filter((address) => address !== null);
  if (known.length === 0) return undefined;
  return known.some((address) => address.includes(":")) ? "ipv6" : "ipv4";
}

export function toEcsDocument(event: SecurityEvent, context: SiemContext): EcsDocument {
  const time = event.timestamp.getTime();
  const control = detailText(event.details, "control");
  const destination = detailText(event.details, "destination_ip");
  const ingress = detailText(event.details, "interface");
  const network = networkType(event.sourceIp, destination);
  const ids = {
    ...(event.vmId === null ? {} : { vm_id: event.vmId }),
    ...(event.customerId === null ? {} : { customer_id: event.customerId }),
  };
  return {
    ...(Number.isFinite(time) ? { "@timestamp": event.timestamp.toISOString() } : {}),
    message: event.description,
    ecs: { version: ECS_VERSION },
    event: {
      id: event.id,
      kind: event.severity === "info" ? "event" : "alert",
      ...classify(event.eventType, control),
      action: event.eventType,
      severity: siemSeverity(event.severity),
      dataset: "metald.security",
      module: "metald",
    },
    log: { level: event.severity },
    ...(event.sourceIp === null ? {} : { source: { ip: event.sourceIp } }),
    ...(destination === null ? {} : { destination: { ip: destination } }),
    ...(network === undefined ? {} : { network: { type: network } }),
    observer: {
      vendor: "Unkey",
      product: "Metald",
      version: context.productVersion,
      hostname: context.hostname,
      type: "firewall",
      ...(ingress === null ? {} : { ingress: { interface: { name: ingress } } }),
    },
    rule: {
      ...(control === null ? {} : { id: control }),
      name: event.eventType,
      ruleset: "metald_security",
    },
    ...(Object.keys(ids).length === 0 ? {} : { labels: ids }),
    metald: {
      ...ids,
      ...(Number.isFinite(event.count) ? { count: event.count } : {}),
      details: jsonObject(event.details, 0),
    },
  };
}
