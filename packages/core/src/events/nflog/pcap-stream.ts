// Incremental reader for a classic pcap byte stream (tcpdump -w -), fed chunks split anywhere.

export class PcapFormatError extends Error {
  override name = "PcapFormatError";
}

export interface PcapRecord {
  /** Capture time as a Date (millisecond precision). */
  timestamp: Date;
  seconds: number;
  /** Fraction of the second in microseconds (nanosecond files are rounded down). */
  microseconds: number;
  /** LINKTYPE_* of the stream (239 = NFLOG). */
  linktype: number;
  /** Byte order of the writer: NFLOG attribute headers follow it (libpcap writes host order). */
  littleEndian: boolean;
  /** Length of the packet before the capture cut it to `data.length`. */
  originalLength: number;
  data: Uint8Array;
}

export interface PcapStreamParser {
  /** Consumes a chunk and returns every record it completed. Throws PcapFormatError. */
  push(chunk: Uint8Array): PcapRecord[];
  /** Bytes held back waiting for the rest of a header or record. */
  readonly buffered: number;
}

export const LINKTYPE_NFLOG = 239;

const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
const MAGIC_PCAPNG = 0x0a0d0d0a;
// A record longer than this is a corrupt stream, not a packet: fail instead of buffering forever.
const MAX_RECORD_LENGTH = 1 << 24;

interface GlobalHeader {
  littleEndian: boolean;
  nanoseconds: boolean;
  snaplen: number;
  linktype: number;
}

function readGlobalHeader(bytes: Uint8Array): GlobalHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, GLOBAL_HEADER_LENGTH);
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === MAGIC_MICROSECONDS || magic === MAGIC_NANOSECONDS) {
      return {
        littleEndian,
        nanoseconds: magic === MAGIC_NANOSECONDS,
        snaplen: view.getUint32(16, littleEndian),
        // The upper bits carry FCS information, not the link type.
        linktype: view.getUint32(20, littleEndian) & 0xffff,
      };
    }
  }
  const magic = view.getUint32(0, false);
  const hex = `0x${magic.toString(16).padStart(8, "0")}`;
  if (magic === MAGIC_PCAPNG) {
    throw new PcapFormatError(`stream is pcapng (magic ${hex}); only classic pcap is read`);
  }
  throw new PcapFormatError(
    `bad pcap magic ${hex}; expected a1b2c3d4 or a1b23c4d in either byte order`,
  );
}

export function createPcapStreamParser(): PcapStreamParser {
  let pending: Uint8Array = new Uint8Array(0);
  let header: GlobalHeader | undefined;

  function append(chunk: Uint8Array): void {
    if (pending.length === 0) {
      // Copied: the caller may reuse its chunk.
      pending = chunk.slice();
      return;
    }
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending, 0);
    joined.set(chunk, pending.length);
    pending = joined;
  }

  return {
    get buffered() {
      return pending.length;
    },
    push(chunk) {
      append(chunk);
      const records: PcapRecord[] = [];
      let offset = 0;
      if (header === undefined) {
        if (pending.length < GLOBAL_HEADER_LENGTH) return records;
        header = readGlobalHeader(pending);
        offset = GLOBAL_HEADER_LENGTH;
      }
      const { littleEndian, nanoseconds, linktype } = header;
      const maxLength = Math.max(header.snaplen, MAX_RECORD_LENGTH);
      while (pending.length - offset >= RECORD_HEADER_LENGTH) {
        const view = new DataView(
          pending.buffer,
          pending.byteOffset + offset,
          RECORD_HEADER_LENGTH,
        );
        const capturedLength = view.getUint32(8, littleEndian);
        if (capturedLength > maxLength) {
          throw new PcapFormatError(
            `pcap record claims ${capturedLength} bytes; stream is corrupt`,
          );
        }
        const end = offset + RECORD_HEADER_LENGTH + capturedLength;
        if (end > pending.length) break;
        const seconds = view.getUint32(0, littleEndian);
        const fraction = view.getUint32(4, littleEndian);
        const microseconds = nanoseconds ? Math.floor(fraction / 1000) : fraction;
        records.push({
          timestamp: new Date(seconds * 1000 + Math.floor(microseconds / 1000)),
          seconds,
          microseconds,
          linktype,
          littleEndian,
          originalLength: view.getUint32(12, littleEndian),
          // A copy, so a record does not keep the whole chunk alive.
          data: pending.slice(offset + RECORD_HEADER_LENGTH, end),
        });
        offset = end;
      }
      pending = pending.subarray(offset);
      return records;
    },
  };
}
