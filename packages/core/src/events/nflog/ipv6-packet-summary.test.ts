import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseIpv6 } from "../../ipam/ipv6-address.js";
import { summarizeIpv6Packet } from "./ipv6-packet-summary.js";
import { parseNflogRecord } from "./nflog-record.js";
import { createPcapStreamParser } from "./pcap-stream.js";

const [ra, hbh, large] = createPcapStreamParser()
  .push(
    new Uint8Array(readFileSync(new URL("./fixtures/bridge-ra-inet-hbh.pcap", import.meta.url))),
  )
  .map((r) => parseNflogRecord(r.data, { littleEndian: r.littleEndian }).payload);

function addressBytes(text: string): number[] {
  const value = parseIpv6(text);
  return Array.from({ length: 16 }, (_, i) => Number((value >> BigInt(120 - 8 * i)) & 0xffn));
}

// An IPv6 header (payload length left 0: the summary never trusts it) followed by `rest`.
function ipv6(next: number, rest: number[], source = "2001:db8::a", destination = "ff02::1") {
  return Uint8Array.from([
    0x60,
    0,
    0,
    0,
    0,
    0,
    next,
    64,
    ...addressBytes(source),
    ...addressBytes(destination),
    ...rest,
  ]);
}

// An 8-byte-unit extension header of `units` * 8 bytes.
const ext = (next: number, units = 1, third = 0) => [
  next,
  units - 1,
  third,
  ...new Array<number>(units * 8 - 3).fill(0),
];

describe("summarizeIpv6Packet on real captures", () => {
  it("reads the spoofed router advertisement", () => {
    expect(summarizeIpv6Packet(ra ?? new Uint8Array())).toEqual({
      source: "2001:db8::bad",
      destination: "ff02::1",
      hopLimit: 255,
      extensionHeaders: [],
      upperProtocol: 58,
      icmpv6Type: 134,
      icmpv6Code: 0,
      truncated: false,
    });
  });

  it("walks Hop-by-Hop then Destination Options to UDP", () => {
    expect(summarizeIpv6Packet(hbh ?? new Uint8Array())).toMatchObject({
      source: "2001:db8::a",
      destination: "2001:db8::b",
      extensionHeaders: ["hbh", "dst"],
      upperProtocol: 17,
      sourcePort: 1234,
      destinationPort: 5678,
      truncated: false,
    });
  });

  it("reads the headers of a packet the rule's snaplen cut", () => {
    expect(summarizeIpv6Packet(large ?? new Uint8Array())).toMatchObject({
      extensionHeaders: ["hbh"],
      upperProtocol: 17,
      destinationPort: 5678,
    });
  });
});

describe("summarizeIpv6Packet on built packets", () => {
  it("writes addresses in RFC 5952 form", () => {
    const s = summarizeIpv6Packet(ipv6(59, [], "2001:DB8:0:0:1:0:0:1", "fe80:0:0:0:0:0:0:1"));
    expect(s).toMatchObject({ source: "2001:db8::1:0:0:1", destination: "fe80::1" });
    expect(s?.upperProtocol).toBe(59);
  });

  it("reports the routing type, the fragment fields and the ICMPv6 type behind them", () => {
    const packet = ipv6(43, [...ext(44, 3, 4), 58, 0, 0, 0, 0, 0, 0, 1, 135, 0]);
    expect(summarizeIpv6Packet(packet)).toMatchObject({
      extensionHeaders: ["rt", "frag"],
      routingType: 4,
      fragmentOffset: 0,
      moreFragments: false,
      upperProtocol: 58,
      icmpv6Type: 135,
    });
  });

  it("reads no upper-layer header from a non-first fragment", () => {
    // Offset 185 (1480 bytes), more fragments.
    const packet = ipv6(44, [6, 0, 0x05, 0xc9, 0, 0, 0, 1, 0x04, 0xd2, 0, 80]);
    const s = summarizeIpv6Packet(packet);
    expect(s).toMatchObject({ fragmentOffset: 185, moreFragments: true, upperProtocol: 6 });
    expect(s?.sourcePort).toBeUndefined();
  });

  it("sizes AH in 4-byte units and Mobility in 8-byte units, and stops at ESP", () => {
    const ah = [135, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const mobility = ext(50);
    const s = summarizeIpv6Packet(ipv6(51, [...ah, ...mobility, 0, 0, 0, 1]));
    expect(s?.extensionHeaders).toEqual(["ah", "mh", "esp"]);
    expect(s?.upperProtocol).toBeUndefined();
    expect(s?.truncated).toBe(false);
  });

  it("returns what it could read from a cut packet", () => {
    const cutInChain = summarizeIpv6Packet(ipv6(0, [...ext(60)]));
    expect(cutInChain).toMatchObject({ extensionHeaders: ["hbh", "dst"], truncated: true });
    expect(cutInChain?.upperProtocol).toBeUndefined();
    const cutBeforePorts = summarizeIpv6Packet(ipv6(17, [0x04]));
    expect(cutBeforePorts).toMatchObject({ upperProtocol: 17, truncated: true });
    expect(cutBeforePorts?.sourcePort).toBeUndefined();
    const cutBeforeType = summarizeIpv6Packet(ipv6(0, [...ext(58)]));
    expect(cutBeforeType).toMatchObject({ upperProtocol: 58, truncated: true });
  });

  it("never throws, whatever prefix of a packet it gets", () => {
    const packet = ipv6(0, [...ext(43), ...ext(44, 1, 2), 60, 0, 0, 0, 0, 0, 0, 0, ...ext(17)]);
    for (let length = 0; length <= packet.length; length++) {
      expect(() => summarizeIpv6Packet(packet.subarray(0, length))).not.toThrow();
    }
    expect(summarizeIpv6Packet(packet.subarray(0, 39))).toBeUndefined();
    expect(summarizeIpv6Packet(packet)?.extensionHeaders).toEqual(["hbh", "rt", "frag", "dst"]);
  });

  it("returns undefined for anything that is not IPv6", () => {
    const ipv4 = new Uint8Array(60);
    ipv4[0] = 0x45;
    expect(summarizeIpv6Packet(ipv4)).toBeUndefined();
  });
});
