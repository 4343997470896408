// Decodes one LINKTYPE_NFLOG packet (nfnetlink_log message as libpcap hands it over).

export class NflogFormatError extends Error {
  override name = "NflogFormatError";
}

/** NFPROTO_* values seen in the header's family byte. */
export const NFPROTO_IPV4 = 2;
export const NFPROTO_BRIDGE = 7;
export const NFPROTO_IPV6 = 10;

/** NFULA_* attribute types (linux/netfilter/nfnetlink_log.h). */
export const NflogAttribute = {
  packetHeader: 1,
  mark: 2,
  timestamp: 3,
  indev: 4,
  outdev: 5,
  physindev: 6,
  physoutdev: 7,
  hwaddr: 8,
  payload: 9,
  prefix: 10,
  uid: 11,
  seq: 12,
  seqGlobal: 13,
  gid: 14,
  hwtype: 15,
  hwheader: 16,
  hwlen: 17,
  ct: 18,
  ctInfo: 19,
  vlan: 20,
  l2header: 21,
} as const;

export interface NflogRecord {
  /** NFPROTO_* of the hook that logged: 7 bridge, 10 ipv6 (inet tables), 2 ipv4. */
  family: number;
  /** The nflog group (the header's resource id). */
  group: number;
  /** Ethertype from NFULA_PACKET_HDR (0x86dd for IPv6). */
  hwProtocol?: number;
  /** Netfilter hook number (0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting). */
  hook?: number;
  /** The rule's log prefix; "" when the rule had none. */
  prefix: string;
  indev?: number;
  outdev?: number;
  physindev?: number;
  physoutdev?: number;
  /** Source link-layer address, "02:00:00:00:00:0a". */
  hwaddr?: string;
  /** Kernel receive time; absent for locally generated packets. */
  timestamp?: Date;
  mark?: number;
  /** The packet from its network header on (the IPv6 header for IPv6, in every family). */
  payload: Uint8Array;
  /** The Ethernet header, when the kernel sent NFULA_L2HDR (bridge family). */
  l2Header?: Uint8Array;
  /** True when the capture cut the message inside an attribute (payload is then partial). */
  truncated: boolean;
}

const HEADER_LENGTH = 4;
const ATTRIBUTE_HEADER_LENGTH = 4;
// nlattr type bits 14 and 15 are the nested/byte-order flags, not part of the type.
const ATTRIBUTE_TYPE_MASK = 0x3fff;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function hex(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/**
 * Parses one NFLOG record. Attribute headers use the byte order of the machine that wrote the
 * capture (`littleEndian`, from the pcap header; default this machine's); values are big-endian.
 */
export function parseNflogRecord(
  data: Uint8Array,
  options: { littleEndian?: boolean } = {},
): NflogRecord {
  const littleEndian = options.littleEndian ?? HOST_LITTLE_ENDIAN;
  if (data.length < HEADER_LENGTH) {
    throw new NflogFormatError(`NFLOG record is ${data.length} bytes; the header needs 4`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const record: NflogRecord = {
    family: view.getUint8(0),
    group: view.getUint16(2, false),
    prefix: "",
    payload: new Uint8Array(0),
    truncated: false,
  };
  const version = view.getUint8(1);
  if (version !== 0) throw new NflogFormatError(`unknown NFLOG version ${version}`);

  let offset = HEADER_LENGTH;
  while (data.length - offset >= ATTRIBUTE_HEADER_LENGTH) {
    const length = view.getUint16(offset, littleEndian);
    const type = view.getUint16(offset + 2, littleEndian) & ATTRIBUTE_TYPE_MASK;
    if (length < ATTRIBUTE_HEADER_LENGTH) {
      throw new NflogFormatError(`NFLOG attribute ${type} at byte ${offset} has length ${length}`);
    }
    const start = offset + ATTRIBUTE_HEADER_LENGTH;
    const end = Math.min(offset + length, data.length);
    if (offset + length > data.length) record.truncated = true;
    readAttribute(record, type, new DataView(data.buffer, data.byteOffset + start, end - start));
    offset += (length + 3) & ~3;
  }
  // 1–3 stray bytes: the capture cut the next attribute header.
  if (offset < data.length) record.truncated = true;
  return record;
}

function readAttribute(record: NflogRecord, type: number, value: DataView): void {
  const bytes = () => new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  const u32 = () => (value.byteLength >= 4 ? value.getUint32(0, false) : undefined);
  switch (type) {
    case NflogAttribute.packetHeader:
      if (value.byteLength >= 3) {
        record.hwProtocol = value.getUint16(0, false);
        record.hook = value.getUint8(2);
      }
      return;
    case NflogAttribute.prefix: {
      const text = new TextDecoder().decode(bytes());
      const nul = text.indexOf("\0");
      record.prefix = nul === -1 ? text : text.slice(0, nul);
      return;
    }
    case NflogAttribute.indev:
      record.indev = u32();
      return;
    case NflogAttribute.outdev:
      record.outdev = u32();
      return;
    case NflogAttribute.physindev:
      record.physindev = u32();
      return;
    case NflogAttribute.physoutdev:
      record.physoutdev = u32();
      return;
    case NflogAttribute.mark:
      record.mark = u32();
      return;
    case NflogAttribute.hwaddr: {
      // struct nfulnl_msg_packet_hw: be16 length, 2 bytes padding, 8 address bytes.
      if (value.byteLength < 4) return;
      const length = Math.min(value.getUint16(0, false), 8, value.byteLength - 4);
      const address = Array.from({ length }, (_, i) => hex(value.getUint8(4 + i)));
      if (length > 0) record.hwaddr = address.join(":");
      return;
    }
    case NflogAttribute.timestamp:
      // struct nfulnl_msg_packet_timestamp: be64 seconds, be64 microseconds.
      if (value.byteLength >= 16) {
        const seconds = value.getUint32(0, false) * 2 ** 32 + value.getUint32(4, false);
        const micros = value.getUint32(8, false) * 2 ** 32 + value.getUint32(12, false);
        record.timestamp = new Date(seconds * 1000 + Math.floor(micros / 1000));
      }
      return;
    case NflogAttribute.payload:
      record.payload = bytes();
      return;
    case NflogAttribute.l2header:
      record.l2Header = bytes();
      return;
  }
}
