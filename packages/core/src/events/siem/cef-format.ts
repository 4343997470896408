// ArcSight CEF:0 records for security events, and the parser that reads them back exactly.
import type { SecurityEvent } from "../security-event.js";
import { detailText } from "./detail-text.js";
import type { SiemContext } from "./siem-context.js";
import { siemSeverity } from "./siem-severity.js";
import { signatureId } from "./signature-id.js";
import { truncateText } from "./truncate-text.js";

/** Vendor, product and version are fixed by the product's SIEM spec, not by the build. */
export const CEF_DEVICE = { vendor: "Unkey", product: "Metald", version: "1.0" } as const;

/** ArcSight truncates longer names. */
const NAME_LIMIT = 512;

/**
 * Extension field lengths from the CEF specification (ArcSight Common Event Format, "Extension
 * Dictionary"); a longer value is cut here rather than dropped or mangled by the connector.
 */
export const CEF_FIELD_LIMITS: Readonly<Record<string, number>> = {
  act: 63,
  cat: 1023,
  msg: 1023,
  dvchost: 100,
  externalId: 40,
  deviceInboundInterface: 128,
  cs1: 4000,
  cs2: 4000,
  cs3: 4000,
  cs4: 4000,
  cs1Label: 1023,
  cs2Label: 1023,
  cs3Label: 1023,
  cs4Label: 1023,
};

export interface CefRecord {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
  extension: Record<string, string>;
}

type Field = readonly [key: string, value: string | null];

const escapeHeader = (text: string): string => text.replace(/[\\|]/g, (c) => `\\${c}`);

const escapeValue = (text: string): string =>
  text.replace(/[\\=\r\n]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : `\\${c}`));

/** CEF allows multi-line text only in extension values, so the header name is flattened. */
function cefName(event: SecurityEvent): string {
  const name = (event.description === "" ? event.eventType : event.description).replace(
    /[\r\n]/g,
    " ",
  );
  return truncateText(name, NAME_LIMIT);
}

/** A custom field and its label travel together or not at all. */
const labelled = (key: string, label: string, value: string | null): Field[] =>
  value === null ? [] : [[key, value] as const, [`${key}Label`, label] as const];

/** c6a2/c6a3 are typed IPv6 fields: an IPv4 address there would be rejected by the connector. */
const ipv6 = (key: string, label: string, address: string | null): Field[] =>
  address?.includes(":") ? labelled(key, label, address) : [];

export function formatCef(event: SecurityEvent, context: SiemContext): string {
  const time = event.timestamp.getTime();
  const destination = detailText(event.details, "destination_ip");
  const control = detailText(event.details, "control");
  const fields: Field[] = [
    ["rt", Number.isFinite(time) ? String(time) : null],
    ["src", event.sourceIp],
    ["dst", destination],
    ...ipv6("c6a2", "Source IPv6 Address", event.sourceIp),
    ...ipv6("c6a3", "Destination IPv6 Address", destination),
    ["externalId", event.id],
    ["cat", event.eventType],
    ["cnt", Number.isFinite(event.count) ? String(event.count) : null],
    // A kernel control only reports packets it dropped.
    ["act", control === null ? null : "blocked"],
    ["msg", event.description],
    ["dvchost", context.hostname],
    ["deviceInboundInterface", detailText(event.details, "interface")],
    ...labelled("cs1", "vmId", event.vmId),
    ...labelled("cs2", "customerId", event.customerId),
    ...labelled("cs3", "control", control),
    ...labelled("cs4", "icmpv6Type", detailText(event.details, "icmpv6_type")),
  ];
  const header = [
    "CEF:0",
    CEF_DEVICE.vendor,
    CEF_DEVICE.product,
    CEF_DEVICE.version,
    signatureId(event.eventType),
    cefName(event),
    String(siemSeverity(event.severity)),
  ].map(escapeHeader);
  const extension = fields
    .flatMap(([key, value]) => {
      if (value === null) return [];
      const limit = CEF_FIELD_LIMITS[key];
      return [`${key}=${escapeValue(limit === undefined ? value : truncateText(value, limit))}`];
    })
    .join(" ");
  return `${header.join("|")}|${extension}`;
}

const unescapeHeader = (raw: string): string => raw.replace(/\\([\\|])/g, "$1");

/** Unknown escapes are kept verbatim so sloppy producers lose nothing. */
const unescapeValue = (raw: string): string =>
  raw.replace(/\\(.)/gs, (pair, c: string) =>
    c === "n" ? "\n" : c === "r" ? "\r" : c === "\\" || c === "=" || c === "|" ? c : pair,
  );

const KEY_CHAR = /[A-Za-z0-9_]/;

/**
 * Every unescaped "=" whose key is a run of key characters at the start or after a space opens a
 * field; the value runs up to the space before the next key. Values escape their own "=", so the
 * split is unambiguous for records from formatCef and lenient for producers that forget to.
 */
function parseExtension(text: string): Record<string, string> {
  const keys: { start: number; equals: number }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "\\") {
      i++;
    } else if (c === "=") {
      let start = i;
      while (start > 0 && KEY_CHAR.test(text.charAt(start - 1))) start--;
      if (start < i && (start === 0 || text.charAt(start - 1) === " ")) {
        keys.push({ start, equals: i });
      }
    }
  }
  return Object.fromEntries(
    keys.map(({ start, equals }, n) => {
      const next = keys[n + 1];
      const raw = text.slice(equals + 1, next === undefined ? text.length : next.start - 1);
      return [text.slice(start, equals), unescapeValue(raw)];
    }),
  );
}

/** Parses one CEF:0 line; anything before "CEF:" (a syslog header) is skipped. */
export function parseCef(line: string): CefRecord {
  const begin = line.indexOf("CEF:");
  if (begin < 0) throw new Error("not a CEF record: no CEF: prefix");
  const fields: string[] = [];
  let current = "";
  let i = begin + "CEF:".length;
  for (; i < line.length && fields.length < 7; i++) {
    const c = line.charAt(i);
    if (c === "\\") {
      current += line.slice(i, i + 2);
      i++;
    } else if (c === "|") {
      fields.push(unescapeHeader(current));
      current = "";
    } else {
      current += c;
    }
  }
  if (fields.length < 7) throw new Error("not a CEF record: fewer than 7 header fields");
  const header = (n: number): string => fields[n] ?? "";
  return {
    version: header(0),
    vendor: header(1),
    product: header(2),
    deviceVersion: header(3),
    signatureId: header(4),
    name: header(5),
    severity: header(6),
    extension: parseExtension(line.slice(i)),
  };
}
