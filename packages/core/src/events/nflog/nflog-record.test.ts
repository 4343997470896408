import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  NFPROTO_BRIDGE,
  NFPROTO_IPV6,
  NflogAttribute,
  NflogFormatError,
  parseNflogRecord,
} from "./nflog-record.js";
import { createPcapStreamParser } from "./pcap-stream.js";

// Sandbox namespace with br0 (ifindex 2) and ports pa (3, guest A) and pb (4, guest B); guest A
// sent an RA (bridge rule "ra_guard"), a small and a 1,000-byte UDP packet behind a Hop-by-Hop
// header (inet rule "eh_hbh"); both rules `log group 7 snaplen 256 ... queue-threshold 1`.
const [ra, hbh, large] = createPcapStreamParser()
  .push(
    new Uint8Array(readFileSync(new URL("./fixtures/bridge-ra-inet-hbh.pcap", import.meta.url))),
  )
  .map((r) => parseNflogRecord(r.data, { littleEndian: r.littleEndian }));

// Builds a record: header, then attributes whose headers use the given byte order.
function nflogBytes(
  attributes: { type: number; value: number[]; length?: number }[],
  littleEndian = true,
  group = 7,
): Uint8Array {
  const parts: number[] = [NFPROTO_IPV6, 0, group >> 8, group & 0xff];
  for (const { type, value, length } of attributes) {
    const header = new DataView(new ArrayBuffer(4));
    header.setUint16(0, length ?? value.length + 4, littleEndian);
    header.setUint16(2, type, littleEndian);
    parts.push(...new Uint8Array(header.buffer), ...value);
    while (parts.length % 4 !== 0) parts.push(0);
  }
  return Uint8Array.from(parts);
}

const text = (s: string) => [...new TextEncoder().encode(s)];

describe("parseNflogRecord on real captures", () => {
  it("bridge family: the rule's prefix, bridge and port ifindexes, payload from the IPv6 header", () => {
    expect(ra).toMatchObject({
      family: NFPROTO_BRIDGE,
      group: 7,
      hwProtocol: 0x86dd,
      hook: 2,
      prefix: "ra_guard",
      indev: 2,
      physindev: 3,
      outdev: 2,
      physoutdev: 4,
      hwaddr: "02:00:00:00:00:0a",
      truncated: false,
    });
    expect(ra?.timestamp).toBeInstanceOf(Date);
    expect(ra?.payload[0]).toBe(0x60);
    expect(ra?.payload.length).toBe(56);
    // The Ethernet header comes separately, as NFULA_L2HDR.
    expect([...(ra?.l2Header ?? [])].slice(12)).toEqual([0x86, 0xdd]);
    expect(ra?.l2Header?.length).toBe(14);
  });

  it("inet family (bridged via br_netfilter): ipv6 family, same ifindexes, no L2 header", () => {
    expect(hbh).toMatchObject({
      family: NFPROTO_IPV6,
      group: 7,
      prefix: "eh_hbh",
      indev: 2,
      physindev: 3,
      outdev: 2,
      physoutdev: 4,
      hwaddr: "02:00:00:00:00:0a",
    });
    expect(hbh?.l2Header).toBeUndefined();
    expect(hbh?.payload[0]).toBe(0x60);
  });

  it("keeps the payload the rule's snaplen let through", () => {
    expect(large?.payload.length).toBe(256);
    expect(large?.truncated).toBe(false);
  });
});

describe("parseNflogRecord on built records", () => {
  it("reads big-endian attribute headers when told the capture's byte order", () => {
    for (const littleEndian of [true, false]) {
      const bytes = nflogBytes(
        [
          { type: NflogAttribute.prefix, value: [...text("source_guard"), 0] },
          { type: NflogAttribute.indev, value: [0, 0, 1, 2] },
          { type: NflogAttribute.mark, value: [0, 0, 0, 42] },
          { type: NflogAttribute.payload, value: [0x60, 1, 2] },
        ],
        littleEndian,
        300,
      );
      expect(parseNflogRecord(bytes, { littleEndian })).toMatchObject({
        group: 300,
        prefix: "source_guard",
        indev: 258,
        mark: 42,
        payload: Uint8Array.of(0x60, 1, 2),
      });
    }
  });

  it("ignores netlink attribute flags, skips unknown types and needs no prefix", () => {
    const record = parseNflogRecord(
      nflogBytes([
        { type: 0x8000 | NflogAttribute.physindev, value: [0, 0, 0, 9] },
        { type: 99, value: [1, 2, 3, 4, 5] },
        { type: NflogAttribute.payload, value: [7] },
      ]),
    );
    expect(record).toMatchObject({ prefix: "", physindev: 9, truncated: false });
    expect([...record.payload]).toEqual([7]);
    expect(record.hwaddr).toBeUndefined();
  });

  it("keeps what a capture cut inside the payload and says so", () => {
    const whole = nflogBytes([
      { type: NflogAttribute.prefix, value: [...text("rl_nd_drops"), 0] },
      { type: NflogAttribute.payload, value: Array.from({ length: 100 }, (_, i) => i) },
    ]);
    const record = parseNflogRecord(whole.subarray(0, 60));
    expect(record.prefix).toBe("rl_nd_drops");
    expect(record.truncated).toBe(true);
    expect([...record.payload]).toEqual(Array.from({ length: 36 }, (_, i) => i));
    expect(parseNflogRecord(whole.subarray(0, 22)).truncated).toBe(true);
  });

  it("rejects records no kernel writes", () => {
    expect(() => parseNflogRecord(Uint8Array.of(10, 0))).toThrow(NflogFormatError);
    expect(() => parseNflogRecord(Uint8Array.of(10, 1, 0, 7))).toThrow(/version 1/);
    const zeroLength = nflogBytes([{ type: NflogAttribute.payload, value: [], length: 2 }]);
    expect(() => parseNflogRecord(zeroLength)).toThrow(/length 2/);
  });
});
