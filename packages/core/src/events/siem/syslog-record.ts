// One security event as an RFC 5424 message: PRI from the event's severity, MSGID the event
// type, the event id and route in metald's SD element (so a receiver can drop the repeats that
// at-least-once delivery allows), and the CEF, LEEF or JSON record as the MSG.
import type { SecurityEvent } from "../security-event.js";
import type { SiemFormat } from "../siem-routing.js";
import type { SiemContext } from "./siem-context.js";
import {
  formatSyslogMessage,
  METALD_SD_ID,
  SYSLOG_FACILITY_AUTHPRIV,
  SYSLOG_SEVERITY,
} from "./syslog-message.js";

export interface SyslogRecordOptions {
  format: SiemFormat;
  /** The route's destination name. */
  destination: string;
  context: SiemContext;
  facility?: number;
  procId?: string;
}

export function formatSyslogRecord(
  event: SecurityEvent,
  record: string,
  options: SyslogRecordOptions,
): string {
  return formatSyslogMessage({
    facility: options.facility ?? SYSLOG_FACILITY_AUTHPRIV,
    severity: SYSLOG_SEVERITY[event.severity],
    timestamp: event.timestamp,
    hostname: options.context.hostname,
    appName: "metald",
    procId: options.procId,
    msgId: event.eventType,
    structuredData: [
      {
        id: METALD_SD_ID,
        params: [
          ["eventId", event.id],
          ["destination", options.destination],
          ["format", options.format],
        ],
      },
    ],
    message: record,
  });
}
