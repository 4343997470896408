// IBM QRadar LEEF 2.0 records for security events, and the parser that reads them back.
//
// LEEF has no escape syntax. Each record picks an attribute delimiter that occurs in none of its
// values, so values travel verbatim; the one routine loss is CR and LF, which a line-based record
// cannot carry and which become one space each. Only if a record contained every candidate
// delimiter would the delimiter inside values also become a space.
import type { SecurityEvent } from "../security-event.js";
import { detailText } from "./detail-text.js";
import type { SiemContext } from "./siem-context.js";
import { siemSeverity } from "./siem-severity.js";
import { signatureId } from "./signature-id.js";
import { truncateText } from "./truncate-text.js";

/** Vendor, product and version are fixed by the product's SIEM spec, not by the build. */
export const LEEF_DEVICE = { vendor: "Unkey", product: "Metald", version: "1.0" } as const;

/** Tab first: it is QRadar's default and the LEEF 1.0 delimiter. */
export const LEEF_DELIMITERS = ["\t", "^", "~", "\u001f", "\u001e", "\u00a6"] as const;

/** devTime is ISO 8601 in UTC, declared as a Java SimpleDateFormat pattern as LEEF requires. */
export const LEEF_DEV_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSX";

export interface LeefRecord {
  version: string;
  vendor: string;
  product: string;
  productVersion: string;
  /** Header EventID: the stable signature QRadar maps to a QID, not the event's unique id. */
  eventId: string;
  delimiter: string;
  attributes: Record<string, string>;
}

type Attribute = readonly [key: string, value: string | null];

/** Header fields are pipe-separated; backslashes go too, since some parsers treat "\|" as escaped. */
const headerField = (text: string): string => text.replace(/[|\\\r\n]/g, "_");

const oneLine = (text: string): string => text.replace(/[\r\n]/g, " ");

/**
 * LEEF sets no per-attribute length, but QRadar's syslog listener cuts whole records at its
 * payload limit (4,096 bytes by default): free text is capped as CEF caps it (1,023) so the
 * attributes after it survive.
 */
export const LEEF_TEXT_LIMIT = 1023;

/** Printable ASCII is written as itself, anything else in the x-prefixed hex LEEF 2.0 allows. */
function delimiterField(delimiter: string): string {
  const code = delimiter.charCodeAt(0);
  return code > 0x20 && code < 0x7f
    ? delimiter
    : `x${code.toString(16).toUpperCase().padStart(2, "0")}`;
}

function attributes(event: SecurityEvent, context: SiemContext): Attribute[] {
  const time = event.timestamp.getTime();
  const control = detailText(event.details, "control");
  return [
    ["devTime", Number.isFinite(time) ? event.timestamp.toISOString() : null],
    ["devTimeFormat", Number.isFinite(time) ? LEEF_DEV_TIME_FORMAT : null],
    ["src", event.sourceIp],
    ["dst", detailText(event.details, "destination_ip")],
    ["sev", String(siemSeverity(event.severity))],
    ["cat", event.eventType],
    ["externalId", event.id],
    ["vmId", event.vmId],
    ["customerId", event.customerId],
    ["count", Number.isFinite(event.count) ? String(event.count) : null],
    // A kernel control only reports packets it dropped.
    ["act", control === null ? null : "blocked"],
    ["control", control],
    ["interface", detailText(event.details, "interface")],
    ["icmpv6Type", detailText(event.details, "icmpv6_type")],
    ["dvchost", context.hostname],
    ["msg", truncateText(event.description, LEEF_TEXT_LIMIT)],
  ];
}

export function formatLeef(event: SecurityEvent, context: SiemContext): string {
  const values = attributes(event, context).flatMap(([key, value]) =>
    value === null ? [] : [[key, oneLine(value)] as const],
  );
  const delimiter =
    LEEF_DELIMITERS.find((d) => values.every(([, value]) => !value.includes(d))) ??
    LEEF_DELIMITERS[0];
  const body = values
    .map(([key, value]) => `${key}=${value.replaceAll(delimiter, " ")}`)
    .join(delimiter);
  const header = [
    LEEF_DEVICE.vendor,
    LEEF_DEVICE.product,
    LEEF_DEVICE.version,
    signatureId(event.eventType),
  ].map(headerField);
  return `LEEF:2.0|${header.join("|")}|${delimiterField(delimiter)}|${body}`;
}

/** A single character, or its hex code after "x" or "0x"; LEEF 1.0 and an empty field mean tab. */
function delimiterFrom(field: string): string {
  const hex = /^(?:0x|x)([0-9a-f]{1,4})$/i.exec(field)?.[1];
  if (hex !== undefined) return String.fromCharCode(Number.parseInt(hex, 16));
  if (field === "") return "\t";
  if (field.length === 1) return field;
  throw new Error(`not a LEEF record: unreadable delimiter ${JSON.stringify(field)}`);
}

/** Parses one LEEF 1.0 or 2.0 line; anything before "LEEF:" (a syslog header) is skipped. */
export function parseLeef(line: string): LeefRecord {
  const begin = line.indexOf("LEEF:");
  if (begin < 0) throw new Error("not a LEEF record: no LEEF: prefix");
  // Header fields cannot contain pipes, attribute values can.
  const parts = line.slice(begin + "LEEF:".length).split("|");
  const version = parts[0] ?? "";
  const headerCount = version.startsWith("1.") ? 5 : 6;
  if (parts.length < headerCount) throw new Error("not a LEEF record: too few header fields");
  const part = (n: number): string => parts[n] ?? "";
  const delimiter = headerCount === 5 ? "\t" : delimiterFrom(part(5));
  const entries = parts
    .slice(headerCount)
    .join("|")
    .split(delimiter)
    .flatMap((pair) => {
      const equals = pair.indexOf("=");
      return equals > 0 ? [[pair.slice(0, equals), pair.slice(equals + 1)] as const] : [];
    });
  return {
    version,
    vendor: part(1),
    product: part(2),
    productVersion: part(3),
    eventId: part(4),
    delimiter,
    attributes: Object.fromEntries(entries),
  };
}
