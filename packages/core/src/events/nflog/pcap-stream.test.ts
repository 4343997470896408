import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createPcapStreamParser, LINKTYPE_NFLOG, PcapFormatError } from "./pcap-stream.js";

// Recorded by tcpdump -i nflog:7 -w - in a sandbox: one bridge-family and two inet-family samples.
const fixture = new Uint8Array(
  readFileSync(new URL("./fixtures/bridge-ra-inet-hbh.pcap", import.meta.url)),
);

interface Packet {
  seconds: number;
  fraction: number;
  data: number[];
}

function pcapBytes(
  options: { littleEndian: boolean; nanoseconds?: boolean; linktype?: number },
  packets: Packet[],
): Uint8Array {
  const { littleEndian } = options;
  const length = 24 + packets.reduce((sum, p) => sum + 16 + p.data.length, 0);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, options.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, littleEndian);
  view.setUint16(4, 2, littleEndian);
  view.setUint16(6, 4, littleEndian);
  view.setUint32(16, 512, littleEndian);
  view.setUint32(20, options.linktype ?? LINKTYPE_NFLOG, littleEndian);
  let offset = 24;
  for (const p of packets) {
    view.setUint32(offset, p.seconds, littleEndian);
    view.setUint32(offset + 4, p.fraction, littleEndian);
    view.setUint32(offset + 8, p.data.length, littleEndian);
    view.setUint32(offset + 12, p.data.length + 100, littleEndian);
    bytes.set(p.data, offset + 16);
    offset += 16 + p.data.length;
  }
  return bytes;
}

const packets: Packet[] = [
  { seconds: 1_700_000_000, fraction: 123_456, data: [1, 2, 3] },
  { seconds: 1_700_000_001, fraction: 999_999, data: [] },
  { seconds: 1_700_000_002, fraction: 5, data: [9, 8, 7, 6, 5, 4, 3, 2, 1] },
];

describe("createPcapStreamParser", () => {
  it("reads the records tcpdump wrote for NFLOG", () => {
    const records = createPcapStreamParser().push(fixture);
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.linktype).toBe(LINKTYPE_NFLOG);
      expect(r.littleEndian).toBe(true);
      expect(r.data.length).toBe(r.originalLength);
    }
    expect(records.map((r) => r.data.length)).toEqual([212, 204, 388]);
    expect(records[0]?.timestamp.getTime()).toBe(
      (records[0]?.seconds ?? 0) * 1000 + Math.floor((records[0]?.microseconds ?? 0) / 1000),
    );
  });

  it("gives the same records whatever the chunk boundaries", () => {
    const whole = createPcapStreamParser().push(fixture);
    for (let split = 1; split < fixture.length; split++) {
      const parser = createPcapStreamParser();
      const records = [
        ...parser.push(fixture.subarray(0, split)),
        ...parser.push(fixture.subarray(split)),
      ];
      expect(records).toEqual(whole);
      expect(parser.buffered).toBe(0);
    }
    const parser = createPcapStreamParser();
    const byteByByte = [...fixture].flatMap((b) => parser.push(Uint8Array.of(b)));
    expect(byteByByte).toEqual(whole);
  });

  it("does not keep a reference to the caller's chunk", () => {
    const copy = fixture.slice();
    const parser = createPcapStreamParser();
    const first = parser.push(copy.subarray(0, 100));
    copy.fill(0, 0, 100);
    const rest = parser.push(copy.subarray(100));
    expect([...first, ...rest]).toEqual(createPcapStreamParser().push(fixture));
  });

  it.each([
    ["little-endian microseconds", true, false, 123_456],
    ["big-endian microseconds", false, false, 123_456],
    ["little-endian nanoseconds", true, true, 123_456_789],
    ["big-endian nanoseconds", false, true, 123_456_789],
  ])("reads %s files", (_, littleEndian, nanoseconds, fraction) => {
    const bytes = pcapBytes({ littleEndian, nanoseconds, linktype: 1 }, [
      { seconds: 1_700_000_000, fraction, data: [0xde, 0xad] },
    ]);
    const [record] = createPcapStreamParser().push(bytes);
    expect(record).toMatchObject({
      seconds: 1_700_000_000,
      microseconds: 123_456,
      linktype: 1,
      littleEndian,
      originalLength: 102,
    });
    expect([...(record?.data ?? [])]).toEqual([0xde, 0xad]);
    expect(record?.timestamp.toISOString()).toBe("2023-11-14T22:13:20.123Z");
  });

  it("holds back incomplete headers and records", () => {
    const bytes = pcapBytes({ littleEndian: true }, packets);
    const parser = createPcapStreamParser();
    expect(parser.push(bytes.subarray(0, 23))).toEqual([]);
    expect(parser.buffered).toBe(23);
    expect(parser.push(bytes.subarray(23, 24 + 16 + 2))).toEqual([]);
    const records = parser.push(bytes.subarray(24 + 16 + 2));
    expect(records.map((r) => [...r.data])).toEqual(packets.map((p) => p.data));
    expect(records.map((r) => r.microseconds)).toEqual([123_456, 999_999, 5]);
  });

  it("rejects a stream that is not classic pcap", () => {
    const bad = new Uint8Array(24).fill(0x41);
    expect(() => createPcapStreamParser().push(bad)).toThrow(PcapFormatError);
    expect(() => createPcapStreamParser().push(bad)).toThrow(/bad pcap magic 0x41414141/);
    const pcapng = Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(20));
    expect(() => createPcapStreamParser().push(pcapng)).toThrow(/pcapng/);
  });

  it("rejects a record length no capture produces", () => {
    const bytes = pcapBytes({ littleEndian: true }, [packets[0] as Packet]);
    new DataView(bytes.buffer).setUint32(24 + 8, 0xffffffff, true);
    expect(() => createPcapStreamParser().push(bytes)).toThrow(/corrupt/);
  });
});
