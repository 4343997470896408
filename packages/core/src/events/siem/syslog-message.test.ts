import { describe, expect, it } from "vitest";
import {
  escapeSdValue,
  formatStructuredData,
  formatSyslogMessage,
  headerField,
  METALD_SD_ID,
  SYSLOG_FACILITY_AUTHPRIV,
  SYSLOG_SEVERITY,
  syslogPri,
} from "./syslog-message.js";

describe("RFC 5424 messages", () => {
  it("computes PRI as facility × 8 + severity, from the event's severity", () => {
    expect(syslogPri(SYSLOG_FACILITY_AUTHPRIV, SYSLOG_SEVERITY.critical)).toBe(82);
    expect(syslogPri(SYSLOG_FACILITY_AUTHPRIV, SYSLOG_SEVERITY.info)).toBe(86);
    expect(syslogPri(16, SYSLOG_SEVERITY.warning)).toBe(132);
    expect(() => syslogPri(24, 0)).toThrow(/facility/);
    expect(() => syslogPri(0, 8)).toThrow(/severity/);
  });

  it("renders the header, structured data and message in order", () => {
    const text = formatSyslogMessage({
      facility: SYSLOG_FACILITY_AUTHPRIV,
      severity: SYSLOG_SEVERITY.warning,
      timestamp: new Date("2026-12-01T01:02:03.456Z"),
      hostname: "host-1",
      appName: "metald",
      procId: "4242",
      msgId: "CEF",
      structuredData: [{ id: METALD_SD_ID, params: [["eventId", "evt-1"]] }],
      message: "CEF:0|Unkey|Metald|1.0|X|y|5|",
    });
    expect(text).toBe(
      '<84>1 2026-12-01T01:02:03.456Z host-1 metald 4242 CEF [metald@32473 eventId="evt-1"] CEF:0|Unkey|Metald|1.0|X|y|5|',
    );
  });

  it("uses the NILVALUE for empty fields and no structured data", () => {
    const text = formatSyslogMessage({
      facility: 1,
      severity: 6,
      timestamp: new Date(0),
      hostname: "",
      appName: "metald",
      message: "",
    });
    expect(text).toBe("<14>1 1970-01-01T00:00:00.000Z - metald - - -");
  });

  it("keeps header fields printable US-ASCII without spaces, cut to their length", () => {
    expect(headerField("my host\u00e9", 255)).toBe("my_host_");
    expect(headerField("x".repeat(40), 32)).toHaveLength(32);
  });

  it('escapes \\, " and ] in parameter values, and nothing else', () => {
    expect(escapeSdValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    expect(
      formatStructuredData([
        { id: METALD_SD_ID, params: [["vm", 'vm"]\\']] },
        { id: "origin", params: [["software", "metald"]] },
      ]),
    ).toBe('[metald@32473 vm="vm\\"\\]\\\\"][origin software="metald"]');
  });

  it("refuses SD names a receiver could not parse", () => {
    expect(() => formatStructuredData([{ id: "bad id", params: [] }])).toThrow(/SD-ID/);
    expect(() => formatStructuredData([{ id: "ok", params: [["a=b", "v"]] }])).toThrow(
      /PARAM-NAME/,
    );
    expect(() => formatStructuredData([{ id: "x".repeat(33), params: [] }])).toThrow(/SD-ID/);
  });
});
