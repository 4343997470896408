// IPv6 text <-> 128-bit integer, with errors that say which group is wrong, and RFC 5952 output.

export class Ipv6SyntaxError extends Error {
  override name = "Ipv6SyntaxError";
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const MAX = (1n << 128n) - 1n;

/** Parses an IPv6 address (no prefix length, no zone) into a 128-bit integer. */
export function parseIpv6(text: string): bigint {
  if (text.length === 0) throw new Ipv6SyntaxError("empty address");
  if (text.includes("%")) throw new Ipv6SyntaxError("zone indexes (%…) are not accepted");
  if (text.includes(":::")) throw new Ipv6SyntaxError("has an empty group (a stray ':')");
  const doubleColon = text.indexOf("::");
  if (doubleColon !== -1 && text.indexOf("::", doubleColon + 1) !== -1) {
    throw new Ipv6SyntaxError('"::" may appear only once');
  }
  const [headText = "", tailText] =
    doubleColon === -1 ? [text] : [text.slice(0, doubleColon), text.slice(doubleColon + 2)];
  const head = headText === "" ? [] : headText.split(":");
  const tail = tailText === undefined || tailText === "" ? [] : tailText.split(":");
  const groups = [...head, ...tail];
  let lastIsV4 = false;
  const last = groups[groups.length - 1];
  if (last?.includes(".")) {
    if (!text.endsWith(last)) throw new Ipv6SyntaxError("an embedded IPv4 part must come last");
    lastIsV4 = true;
  }
  const width = groups.length + (lastIsV4 ? 1 : 0);
  if (doubleColon === -1 && width !== 8) {
    throw new Ipv6SyntaxError(`has ${width} groups; an address without "::" needs 8`);
  }
  if (doubleColon !== -1 && width > 7) {
    throw new Ipv6SyntaxError(`has ${width} groups besides "::"; at most 7 are allowed`);
  }
  const words: number[] = [];
  for (const [i, group] of groups.entries()) {
    if (lastIsV4 && i === groups.length - 1) {
      words.push(...parseEmbeddedIpv4(group));
      continue;
    }
    if (group === "") throw new Ipv6SyntaxError("has an empty group (a stray ':')");
    if (!HEX_GROUP.test(group)) {
      const why = group.length > 4 ? "is longer than 4 hex digits" : "is not hexadecimal";
      throw new Ipv6SyntaxError(`group "${group}" ${why}`);
    }
    words.push(Number.parseInt(group, 16));
  }
  const headWords = lastIsV4 && tail.length === 0 ? words : words.slice(0, head.length);
  const tailWords = lastIsV4 && tail.length === 0 ? [] : words.slice(head.length);
  const zeros = 8 - headWords.length - tailWords.length;
  const all = [...headWords, ...new Array<number>(zeros).fill(0), ...tailWords];
  let value = 0n;
  for (const word of all) value = (value << 16n) | BigInt(word);
  return value;
}

function parseEmbeddedIpv4(text: string): [number, number] {
  const parts = text.split(".");
  if (
    parts.length !== 4 ||
    parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)
  ) {
    throw new Ipv6SyntaxError(`embedded IPv4 part "${text}" is not a dotted quad`);
  }
  const [a, b, c, d] = parts.map(Number) as [number, number, number, number];
  return [(a << 8) | b, (c << 8) | d];
}

/** Formats a 128-bit integer as RFC 5952 text: lowercase, no leading zeros, longest zero run as "::". */
export function formatIpv6(value: bigint): string {
  if (value < 0n || value > MAX) throw new RangeError("not a 128-bit value");
  const words: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) words.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 4.2.2)
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

export interface Ipv6Cidr {
  /** The address as written (host bits kept), canonical. */
  address: string;
  value: bigint;
  prefixLength: number;
}

/** Parses "addr/len" (len 0–128). Without "/len", `defaultLength` applies. */
export function parseIpv6Cidr(text: string, defaultLength?: number): Ipv6Cidr {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  let prefixLength: number;
  if (slash === -1) {
    if (defaultLength === undefined) throw new Ipv6SyntaxError('needs a prefix length ("/64")');
    prefixLength = defaultLength;
  } else {
    const lengthText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText) || Number(lengthText) > 128) {
      throw new Ipv6SyntaxError(`prefix length "/${lengthText}" is not 0–128`);
    }
    prefixLength = Number(lengthText);
  }
  const value = parseIpv6(addressText);
  return { address: formatIpv6(value), value, prefixLength };
}

export function networkOf(value: bigint, prefixLength: number): bigint {
  const hostBits = BigInt(128 - prefixLength);
  return (value >> hostBits) << hostBits;
}

export function formatCidr(value: bigint, prefixLength: number): string {
  return `${formatIpv6(value)}/${prefixLength}`;
}

export function prefixContains(network: bigint, prefixLength: number, value: bigint): boolean {
  return networkOf(value, prefixLength) === network;
}
