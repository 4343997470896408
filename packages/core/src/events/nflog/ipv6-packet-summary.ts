// Summarizes a sampled IPv6 packet: addresses, extension header chain and upper-layer header.
import { formatIpv6 } from "../../ipam/ipv6-address.js";

export type Ipv6ExtensionHeaderName = "hbh" | "rt" | "frag" | "dst" | "mh" | "esp" | "ah";

export interface Ipv6PacketSummary {
  /** RFC 5952 text. */
  source: string;
  destination: string;
  hopLimit: number;
  /** Extension headers in chain order. */
  extensionHeaders: Ipv6ExtensionHeaderName[];
  /** Routing type of the first Routing header. */
  routingType?: number;
  /** Fragment offset in 8-byte units, from the Fragment header. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** Next-header value ending the chain (58 ICMPv6, 6 TCP, 17 UDP, 59 none); absent if cut off or after ESP. */
  upperProtocol?: number;
  icmpv6Type?: number;
  icmpv6Code?: number;
  sourcePort?: number;
  destinationPort?: number;
  /** True when the packet ended before the chain or the upper-layer header could be read. */
  truncated: boolean;
}

const IPV6_HEADER_LENGTH = 40;
const EXTENSION_HEADERS: ReadonlyMap<number, Ipv6ExtensionHeaderName> = new Map([
  [0, "hbh"],
  [43, "rt"],
  [44, "frag"],
  [60, "dst"],
  [135, "mh"],
  [50, "esp"],
  [51, "ah"],
]);
const ICMPV6 = 58;
const TCP = 6;
const UDP = 17;
const SCTP = 132;

function readAddress(bytes: Uint8Array, offset: number): string {
  let value = 0n;
  for (let i = 0; i < 16; i++) value = (value << 8n) | BigInt(bytes[offset + i] ?? 0);
  return formatIpv6(value);
}

/** Returns undefined unless `payload` starts with a whole IPv6 header; never throws. */
export function summarizeIpv6Packet(payload: Uint8Array): Ipv6PacketSummary | undefined {
  if (payload.length < IPV6_HEADER_LENGTH || (payload[0] ?? 0) >> 4 !== 6) return undefined;
  const byte = (i: number) => payload[i] ?? 0;
  const has = (offset: number, length: number) => offset + length <= payload.length;
  const summary: Ipv6PacketSummary = {
    source: readAddress(payload, 8),
    destination: readAddress(payload, 24),
    hopLimit: byte(7),
    extensionHeaders: [],
    truncated: false,
  };
  let next = byte(6);
  let offset = IPV6_HEADER_LENGTH;
  let name = EXTENSION_HEADERS.get(next);
  while (name !== undefined) {
    summary.extensionHeaders.push(name);
    // ESP encrypts what follows: the chain cannot be read further.
    if (name === "esp") return summary;
    if (!has(offset, 2)) {
      summary.truncated = true;
      return summary;
    }
    const headerNext = byte(offset);
    let length: number;
    if (name === "frag") {
      length = 8;
      if (has(offset, 4)) {
        const field = (byte(offset + 2) << 8) | byte(offset + 3);
        summary.fragmentOffset = field >> 3;
        summary.moreFragments = (field & 1) === 1;
      }
    } else if (name === "ah") {
      length = (byte(offset + 1) + 2) * 4;
    } else {
      length = (byte(offset + 1) + 1) * 8;
      if (name === "rt" && summary.routingType === undefined && has(offset, 3)) {
        summary.routingType = byte(offset + 2);
      }
    }
    next = headerNext;
    offset += length;
    name = EXTENSION_HEADERS.get(next);
  }
  summary.upperProtocol = next;
  // A non-first fragment carries no upper-layer header.
  if ((summary.fragmentOffset ?? 0) !== 0) return summary;
  if (next === ICMPV6) {
    if (has(offset, 2)) {
      summary.icmpv6Type = byte(offset);
      summary.icmpv6Code = byte(offset + 1);
    } else summary.truncated = true;
  } else if (next === TCP || next === UDP || next === SCTP) {
    if (has(offset, 4)) {
      summary.sourcePort = (byte(offset) << 8) | byte(offset + 1);
      summary.destinationPort = (byte(offset + 2) << 8) | byte(offset + 3);
    } else summary.truncated = true;
  }
  return summary;
}
