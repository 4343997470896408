import { expect, it } from "vitest";
import type { SecurityEvent } from "../security-event.js";
import { formatCef, parseCef } from "./cef-format.js";
import { frameOctetCounted, readOctetCounted } from "./syslog-framing.js";
import { formatSyslogRecord } from "./syslog-record.js";

const context = { hostname: "node-7.fra1", productVersion: "2.3.4" };

const event: SecurityEvent = {
  id: 'evt-01]x"y',
  timestamp: new Date("2026-12-01T00:00:00.000Z"),
  eventType: "ra_guard_block",
  severity: "critical",
  vmId: "vm-1",
  customerId: "acme",
  sourceIp: "fe80::1",
  description: "router advertisement from fe80::1 | dropped",
  details: {},
  count: 1,
};

it("carries the CEF record as the MSG with PRI from the severity and the event id in SD", () => {
  const cef = formatCef(event, context);
  const text = formatSyslogRecord(event, cef, { format: "cef", destination: "soc", context });
  expect(text).toBe(
    `<82>1 2026-12-01T00:00:00.000Z node-7.fra1 metald - ra_guard_block [metald@32473 eventId="evt-01\\]x\\"y" destination="soc" format="cef"] ${cef}`,
  );
  // Framed and read back, the MSG is the CEF record byte for byte.
  const [message] = readOctetCounted(frameOctetCounted(text)).messages;
  const msg = (message as string).slice((message as string).indexOf("] ") + 2);
  expect(parseCef(msg)).toEqual(parseCef(cef));
});
