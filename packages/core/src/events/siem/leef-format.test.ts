import { describe, expect, it } from "vitest";
import type { SecurityEvent } from "../security-event.js";
import { formatLeef, parseLeef } from "./leef-format.js";

const context = { hostname: "node-7.fra1", productVersion: "2.3.4" };

const event = (overrides: Partial<SecurityEvent> = {}): SecurityEvent => ({
  id: "evt-01hz",
  timestamp: new Date("2024-05-01T12:00:00.123Z"),
  vmId: "vm-a",
  customerId: "acme",
  eventType: "ra_guard_block",
  severity: "warning",
  sourceIp: "fe80::1",
  description: "router advertisements from the VM blocked by RA guard",
  details: { control: "ra_guard", destination_ip: "ff02::1", interface: "tap0" },
  count: 100_000,
  ...overrides,
});

/** Strings that break naive LEEF writers and readers. */
const TRICKY = [
  "a|b",
  "\\",
  "x=y",
  "line1\nline2",
  "cr\rlf\r\n",
  "\\=|",
  "trailing\\",
  "",
  "tab\there",
  "caret^tilde~",
  " padded ",
  "key=value\tother=thing",
  "a\\|b\\=c\\\\",
];

const everywhere = (text: string): Partial<SecurityEvent> => ({
  description: text,
  vmId: text,
  customerId: text,
  eventType: text,
  details: { control: text, destination_ip: text, interface: text, icmpv6_type: text },
});

/** The one lossy rewrite: a line-based record cannot carry CR or LF. */
const flattened = (text: string): string => text.replace(/[\r\n]/g, " ");

describe("formatLeef", () => {
  it("caps the free-text msg at 1,023 characters so the attributes after it survive", () => {
    const record = parseLeef(formatLeef(event({ description: "x".repeat(100_000) }), context));
    expect(record.attributes.msg).toBe("x".repeat(1023));
    expect(record.attributes.vmId).toBe("vm-a");
  });

  it.each(TRICKY)("writes %j on one line and parses it back, CR/LF as spaces", (text) => {
    const line = formatLeef(event(everywhere(text)), context);
    expect(line).not.toMatch(/[\r\n]/);
    expect(parseLeef(line).attributes).toMatchObject({
      msg: flattened(text),
      vmId: flattened(text),
      customerId: flattened(text),
      cat: flattened(text),
      control: flattened(text),
      dst: flattened(text),
      interface: flattened(text),
      icmpv6Type: flattened(text),
    });
  });

  it("turns each CR and LF into exactly one space and loses nothing else", () => {
    const text = TRICKY.join(" ");
    const { attributes } = parseLeef(formatLeef(event(everywhere(text)), context));
    expect(attributes.msg).toBe(flattened(text));
    expect(parseLeef(formatLeef(event({ description: "a\r\nb\nc" }), context)).attributes.msg).toBe(
      "a  b c",
    );
  });

  it("writes the header with the signature id and tab delimiter as x09", () => {
    const line = formatLeef(event(), context);
    expect(line.startsWith("LEEF:2.0|Unkey|Metald|1.0|METALD_IPV6_RA_GUARD_BLOCK|x09|")).toBe(true);
    expect(parseLeef(line)).toMatchObject({
      version: "2.0",
      vendor: "Unkey",
      product: "Metald",
      productVersion: "1.0",
      eventId: "METALD_IPV6_RA_GUARD_BLOCK",
      delimiter: "\t",
    });
  });

  it.each([
    ["tab\t", "|^|", "^"],
    ["tab\tcaret^", "|~|", "~"],
    ["tab\tcaret^tilde~", "|x1F|", "\u001f"],
  ])("picks a delimiter absent from every value (%j)", (description, field, delimiter) => {
    const line = formatLeef(event({ description }), context);
    expect(line).toContain(field);
    const parsed = parseLeef(line);
    expect(parsed.delimiter).toBe(delimiter);
    expect(parsed.attributes.msg).toBe(description);
  });

  it("falls back to tab and replaces it in values when every candidate occurs", () => {
    const description = "\t^~\u001f\u001e\u00a6";
    const parsed = parseLeef(formatLeef(event({ description }), context));
    expect(parsed.delimiter).toBe("\t");
    expect(parsed.attributes.msg).toBe(" ^~\u001f\u001e\u00a6");
  });

  it("keeps pipes out of the header even when the event type has them", () => {
    const parsed = parseLeef(formatLeef(event({ eventType: "a|b" }), context));
    expect(parsed.eventId).toBe("METALD_IPV6_A_B");
    expect(parsed.attributes.cat).toBe("a|b");
  });

  it("writes time, severity, addresses, ids and the enforcement action", () => {
    expect(parseLeef(formatLeef(event(), context)).attributes).toEqual({
      devTime: "2024-05-01T12:00:00.123Z",
      devTimeFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSX",
      src: "fe80::1",
      dst: "ff02::1",
      sev: "5",
      cat: "ra_guard_block",
      externalId: "evt-01hz",
      vmId: "vm-a",
      customerId: "acme",
      count: "100000",
      act: "blocked",
      control: "ra_guard",
      interface: "tap0",
      dvchost: "node-7.fra1",
      msg: "router advertisements from the VM blocked by RA guard",
    });
  });

  it.each([
    ["info", "2"],
    ["error", "7"],
    ["critical", "10"],
  ] as const)("maps %s severity to sev=%s", (severity, sev) => {
    expect(parseLeef(formatLeef(event({ severity }), context)).attributes.sev).toBe(sev);
  });

  it("omits unknown values", () => {
    const { attributes } = parseLeef(
      formatLeef(event({ vmId: null, customerId: null, sourceIp: null, details: {} }), context),
    );
    for (const key of ["vmId", "customerId", "src", "dst", "act", "control", "interface"]) {
      expect(attributes).not.toHaveProperty(key);
    }
  });
});

describe("parseLeef", () => {
  it("reads LEEF 2.0 with a literal or hex delimiter and LEEF 1.0 with tabs", () => {
    const attributes = { src: "10.0.1.8", dst: "10.0.0.5", sev: "5" };
    expect(
      parseLeef("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5"),
    ).toMatchObject({ delimiter: "^", attributes });
    expect(
      parseLeef(
        "<13>Jan 18 11:07:53 host LEEF:2.0|L|S|1.0|41|0x5E|src=10.0.1.8^dst=10.0.0.5^sev=5",
      ),
    ).toMatchObject({ vendor: "L", delimiter: "^", attributes });
    expect(
      parseLeef("LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.0.1.8\tdst=10.0.0.5\tsev=5"),
    ).toMatchObject({ version: "1.0", eventId: "15345", delimiter: "\t", attributes });
  });

  it("rejects lines that are not LEEF", () => {
    expect(() => parseLeef("CEF:0|V|P|1|s|n|5|")).toThrow(/LEEF/);
    expect(() => parseLeef("LEEF:2.0|V|P|1|x|ab|k=v")).toThrow(/delimiter/);
  });
});
