// RFC 5424 syslog messages: the header (PRI from the event's severity, timestamp, host, app,
// MSGID), STRUCTURED-DATA with its escaping, and the MSG carrying one CEF, LEEF or JSON record.
import type { EventSeverity } from "../security-event.js";

/** RFC 5424 §6.2.1 facility 10: security/authorization messages. */
export const SYSLOG_FACILITY_AUTHPRIV = 10;

/**
 * The syslog severity of each event severity (RFC 5424 table 2): critical 2, error 3,
 * warning 4, info 6 (informational, as an event that changed nothing needs no notice).
 */
export const SYSLOG_SEVERITY: Readonly<Record<EventSeverity, number>> = {
  critical: 2,
  error: 3,
  warning: 4,
  info: 6,
};

/**
 * The SD-ID of metald's own element. 32473 is the private enterprise number RFC 5612 reserves for
 * examples: metald has no number of its own, and a receiver only needs the name to be stable.
 */
export const METALD_SD_ID = "metald@32473";

export interface SyslogStructuredElement {
  id: string;
  params: readonly (readonly [name: string, value: string])[];
}

export interface SyslogMessage {
  facility: number;
  severity: number;
  timestamp: Date;
  hostname: string;
  appName: string;
  procId?: string;
  msgId?: string;
  structuredData?: readonly SyslogStructuredElement[];
  /** Sent as MSG-ANY (no BOM): CEF and LEEF collectors expect the record to start the MSG. */
  message: string;
}

export const syslogPri = (facility: number, severity: number): number => {
  if (!Number.isInteger(facility) || facility < 0 || facility > 23)
    throw new RangeError(`syslog facility ${facility} is not 0–23`);
  if (!Number.isInteger(severity) || severity < 0 || severity > 7)
    throw new RangeError(`syslog severity ${severity} is not 0–7`);
  return facility * 8 + severity;
};

/**
 * A header field (HOSTNAME, APP-NAME, PROCID, MSGID): printable US-ASCII without spaces, cut to
 * its RFC length; anything else becomes "_", and an empty value the NILVALUE "-".
 */
export function headerField(value: string | undefined, maxLength: number): string {
  if (value === undefined || value === "") return "-";
  return value.replace(/[^\x21-\x7e]/g, "_").slice(0, maxLength);
}

/** SD-NAME (an SD-ID or PARAM-NAME): 1–32 printable US-ASCII except '=', ' ', ']' and '"'. */
export function isSdName(name: string): boolean {
  return /^[\x21-\x7e]{1,32}$/.test(name) && !/[= \]"]/.test(name);
}

/** PARAM-VALUE escaping (RFC 5424 §6.3.3): '"', '\' and ']' are preceded by a backslash. */
export const escapeSdValue = (value: string): string => value.replace(/["\\\]]/g, (c) => `\\${c}`);

export function formatStructuredData(elements: readonly SyslogStructuredElement[] = []): string {
  if (elements.length === 0) return "-";
  return elements
    .map((element) => {
      if (!isSdName(element.id))
        throw new RangeError(`${JSON.stringify(element.id)} is not an SD-ID`);
      const params = element.params.map(([name, value]) => {
        if (!isSdName(name)) throw new RangeError(`${JSON.stringify(name)} is not a PARAM-NAME`);
        return ` ${name}="${escapeSdValue(value)}"`;
      });
      return `[${element.id}${params.join("")}]`;
    })
    .join("");
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`, timestamps in UTC. */
export function formatSyslogMessage(m: SyslogMessage): string {
  const header = [
    `<${syslogPri(m.facility, m.severity)}>1`,
    m.timestamp.toISOString(),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
    formatStructuredData(m.structuredData),
  ].join(" ");
  return m.message === "" ? header : `${header} ${m.message}`;
}
