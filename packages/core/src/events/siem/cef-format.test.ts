import { describe, expect, it } from "vitest";
import type { SecurityEvent } from "../security-event.js";
import { formatCef, parseCef } from "./cef-format.js";

const context = { hostname: "node-7.fra1", productVersion: "2.3.4" };

const event = (overrides: Partial<SecurityEvent> = {}): SecurityEvent => ({
  id: "evt-01hz",
  timestamp: new Date("2024-05-01T12:00:00.123Z"),
  vmId: "vm-a",
  customerId: "acme",
  eventType: "source_spoofing",
  severity: "critical",
  sourceIp: "2001:db8::1",
  description: "packets with a source address the VM does not own dropped",
  details: { control: "source_guard", destination_ip: "2001:db8::2", interface: "tap0" },
  count: 3,
  ...overrides,
});

/** Strings that break naive CEF writers and readers. */
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
  "key=value other=thing",
  "\\n is not a newline",
  "a\\|b\\=c\\\\",
];

const everywhere = (text: string): Partial<SecurityEvent> => ({
  description: text,
  vmId: text,
  customerId: text,
  eventType: text,
  details: {
    control: text,
    destination_ip: text,
    interface: text,
    icmpv6_type: text,
    list: [text],
  },
});

describe("formatCef", () => {
  it("cuts extension values to the CEF specification's lengths, by code point", () => {
    const long = `${"é".repeat(2000)}😀`;
    const record = parseCef(
      formatCef(event({ description: long, customerId: "c".repeat(5000) }), context),
    ).extension;
    expect(record.msg).toBe("é".repeat(1023));
    expect(record.cs2).toHaveLength(4000);
    const emoji = parseCef(formatCef(event({ description: "😀".repeat(1100) }), context)).extension;
    expect([...(emoji.msg ?? "")]).toHaveLength(1023);
    expect(emoji.msg).toBe("😀".repeat(1023));
  });

  it.each(TRICKY)("writes %j on one line and parses it back exactly", (text) => {
    const line = formatCef(event(everywhere(text)), context);
    expect(line).not.toMatch(/[\r\n]/);
    expect(parseCef(line).extension).toMatchObject({
      msg: text,
      cs1: text,
      cs2: text,
      cat: text,
      cs3: text,
      cs4: text,
      dst: text,
      deviceInboundInterface: text,
    });
  });

  it("round-trips every tricky string at once, including newlines", () => {
    const text = TRICKY.join(" ");
    const parsed = parseCef(formatCef(event(everywhere(text)), context));
    expect(parsed.extension.msg).toBe(text);
    expect(parsed.extension.cs1).toBe(text);
    expect(parsed.name).toBe(text.replace(/[\r\n]/g, " "));
  });

  it("escapes pipes and backslashes in the header name", () => {
    const line = formatCef(event({ description: "a|b\\c" }), context);
    expect(line).toContain("|a\\|b\\\\c|10|");
    expect(parseCef(line)).toMatchObject({
      version: "0",
      vendor: "Unkey",
      product: "Metald",
      deviceVersion: "1.0",
      signatureId: "METALD_IPV6_SOURCE_SPOOFING",
      name: "a|b\\c",
      severity: "10",
    });
  });

  it("derives the signature id from the event type, keeping only [A-Z0-9_]", () => {
    expect(parseCef(formatCef(event({ eventType: "nd-rate|limit" }), context)).signatureId).toBe(
      "METALD_IPV6_ND_RATE_LIMIT",
    );
  });

  it.each([
    ["info", "2"],
    ["warning", "5"],
    ["error", "7"],
    ["critical", "10"],
  ] as const)("maps %s severity to %s", (severity, expected) => {
    expect(parseCef(formatCef(event({ severity }), context)).severity).toBe(expected);
  });

  it("writes rt as epoch milliseconds", () => {
    expect(parseCef(formatCef(event(), context)).extension.rt).toBe("1714564800123");
  });

  it("writes IPv6 addresses to src/dst and to the labelled c6a2/c6a3 fields", () => {
    expect(parseCef(formatCef(event(), context)).extension).toMatchObject({
      src: "2001:db8::1",
      dst: "2001:db8::2",
      c6a2: "2001:db8::1",
      c6a2Label: "Source IPv6 Address",
      c6a3: "2001:db8::2",
      c6a3Label: "Destination IPv6 Address",
      act: "blocked",
      cs3: "source_guard",
      cs3Label: "control",
      cs1Label: "vmId",
      cs2Label: "customerId",
      externalId: "evt-01hz",
      cnt: "3",
      dvchost: "node-7.fra1",
    });
  });

  it("keeps IPv4 addresses out of the IPv6 fields", () => {
    const { extension } = parseCef(
      formatCef(
        event({ sourceIp: "192.0.2.1", details: { destination_ip: "192.0.2.2" } }),
        context,
      ),
    );
    expect(extension).toMatchObject({ src: "192.0.2.1", dst: "192.0.2.2" });
    expect(extension).not.toHaveProperty("c6a2");
    expect(extension).not.toHaveProperty("c6a3Label");
  });

  it("omits unknown values and their labels, and act when no control dropped anything", () => {
    const line = formatCef(
      event({ vmId: null, customerId: null, sourceIp: null, details: { control: ["x"], n: 1 } }),
      context,
    );
    expect(Object.keys(parseCef(line).extension)).toEqual([
      "rt",
      "externalId",
      "cat",
      "cnt",
      "msg",
      "dvchost",
    ]);
  });

  it("writes a complete record in the documented layout", () => {
    const line = formatCef(
      event({ details: { control: "ra_guard", icmpv6_type: 134 }, description: "RA blocked" }),
      context,
    );
    expect(line).toBe(
      "CEF:0|Unkey|Metald|1.0|METALD_IPV6_SOURCE_SPOOFING|RA blocked|10|rt=1714564800123 " +
        "src=2001:db8::1 c6a2=2001:db8::1 c6a2Label=Source IPv6 Address externalId=evt-01hz " +
        "cat=source_spoofing cnt=3 act=blocked msg=RA blocked dvchost=node-7.fra1 cs1=vm-a " +
        "cs1Label=vmId cs2=acme cs2Label=customerId cs3=ra_guard cs3Label=control cs4=134 " +
        "cs4Label=icmpv6Type",
    );
  });
});

describe("parseCef", () => {
  it("reads records from other producers: syslog prefix, spaces in values, unescaped pipes", () => {
    expect(
      parseCef("<134>May  1 12:00:00 fw CEF:0|V|P|1|sig|name|5|msg=hello world | ok src=::1"),
    ).toEqual({
      version: "0",
      vendor: "V",
      product: "P",
      deviceVersion: "1",
      signatureId: "sig",
      name: "name",
      severity: "5",
      extension: { msg: "hello world | ok", src: "::1" },
    });
  });

  it("keeps a stray unescaped equals sign inside the value it belongs to", () => {
    expect(parseCef("CEF:0|V|P|1|s|n|5|msg=a=b c=d").extension).toEqual({ msg: "a=b", c: "d" });
  });

  it("rejects lines that are not CEF", () => {
    expect(() => parseCef("LEEF:2.0|V|P|1|x|")).toThrow(/CEF/);
    expect(() => parseCef("CEF:0|V|P|1")).toThrow(/header/);
  });
});
