// Checks for single request fields; each throws a FieldError naming the field's path.
import {
  formatCidr,
  formatIpv6,
  type Ipv6Cidr,
  Ipv6SyntaxError,
  networkOf,
  parseIpv6,
  parseIpv6Cidr,
} from "../ipam/ipv6-address.js";
import { linuxNameProblem } from "../net/linux-name.js";
import { FieldError } from "./field-error.js";
import { LIMITS } from "./limits.js";

function syntax<T>(path: string, text: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof Ipv6SyntaxError) {
      throw new FieldError(path, `${JSON.stringify(text)} is not ${what}: ${error.message}`);
    }
    throw error;
  }
}

const MULTICAST = 0xffn << 120n;
const LINK_LOCAL = 0xfe80n << 112n;

function isMulticast(value: bigint): boolean {
  return networkOf(value, 8) === MULTICAST;
}

/** A unicast IPv6 address without prefix length, returned canonical. */
export function checkUnicastAddress(text: string, path: string): string {
  const value = syntax(path, text, "an IPv6 address", () => parseIpv6(text));
  if (value === 0n)
    throw new FieldError(path, `${JSON.stringify(text)} is the unspecified address`);
  if (isMulticast(value))
    throw new FieldError(path, `${JSON.stringify(text)} is multicast; a unicast address is needed`);
  return formatIpv6(value);
}

/** An address a VM is assigned: "addr/len" (len defaults to 64), global or unique-local. */
export function checkVmAddress(text: string, path: string): Ipv6Cidr {
  const cidr = syntax(path, text, "an IPv6 address", () => parseIpv6Cidr(text, 64));
  const shown = JSON.stringify(text);
  if (cidr.value === 0n || cidr.value === 1n) {
    throw new FieldError(path, `${shown} is the unspecified or loopback address`);
  }
  if (isMulticast(cidr.value))
    throw new FieldError(path, `${shown} is multicast; a VM address must be unicast`);
  if (networkOf(cidr.value, 10) === LINK_LOCAL) {
    throw new FieldError(
      path,
      `${shown} is link-local; the guest derives its own, give a global or unique-local address`,
    );
  }
  if (cidr.prefixLength < 8) {
    throw new FieldError(
      path,
      `${shown} has prefix length /${cidr.prefixLength}; an interface prefix is /8 to /128`,
    );
  }
  return cidr;
}

/** A network prefix "addr/len" with no host bits set, returned canonical. */
export function checkPrefix(text: string, path: string): string {
  if (!text.includes("/")) {
    throw new FieldError(
      path,
      `${JSON.stringify(text)} is not a prefix: it needs a length, e.g. "/64"`,
    );
  }
  const cidr = syntax(path, text, "an IPv6 prefix", () => parseIpv6Cidr(text));
  const network = networkOf(cidr.value, cidr.prefixLength);
  if (network !== cidr.value) {
    throw new FieldError(
      path,
      `${JSON.stringify(text)} has host bits set; the prefix is ${formatCidr(network, cidr.prefixLength)}`,
    );
  }
  return formatCidr(network, cidr.prefixLength);
}

export function checkVlan(value: number, path: string): number {
  if (!Number.isInteger(value) || value < LIMITS.vlanMin || value > LIMITS.vlanMax) {
    throw new FieldError(path, `VLAN id ${value} is outside ${LIMITS.vlanMin}–${LIMITS.vlanMax}`);
  }
  return value;
}

/** The string form the interface shape sends ("100"); "" means untagged. */
export function checkVlanText(text: string, path: string): number {
  if (text === "") return 0;
  if (!/^[0-9]{1,4}$/.test(text))
    throw new FieldError(path, `${JSON.stringify(text)} is not a VLAN id (1–4094)`);
  return checkVlan(Number(text), path);
}

export function checkLinuxName(name: string, path: string): string {
  const problem = linuxNameProblem(name);
  if (problem)
    throw new FieldError(path, `${JSON.stringify(name)} is not a valid Linux name: it ${problem}`);
  return name;
}

/** A whole number in 0–`max`; `why` (the bound's reason) ends the message. */
export function checkLimit(
  value: number | bigint,
  max: number,
  path: string,
  unit: string,
  why?: string,
): number {
  const n = Number(value);
  const because = why ? ` (${why})` : "";
  if (n < 0) throw new FieldError(path, `${n} is negative; the accepted range is 0–${max} ${unit}`);
  if (!Number.isInteger(n)) throw new FieldError(path, `${n} is not a whole number of ${unit}`);
  if (n > max) {
    throw new FieldError(
      path,
      `${value} ${unit} is above the maximum of ${max} ${unit}; the accepted range is 0–${max} ${unit}${because}`,
    );
  }
  return n;
}

export function checkRange(
  value: number,
  min: number,
  max: number,
  path: string,
  unit: string,
  why?: string,
): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new FieldError(
      path,
      `${value} ${unit} is outside ${min}–${max}${why ? ` (${why})` : ""}`,
    );
  return value;
}

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Tenant ids, tiers, security group names: 1–63 of letters, digits, '.', '_', '-'. */
/** Ids of VMs' tenants, pools and the like: 1–63 letters, digits, '.', '_' or '-'. */
export function isIdentifier(text: string): boolean {
  return IDENTIFIER.test(text);
}

export function checkIdentifier(text: string, path: string): string {
  if (!isIdentifier(text)) {
    throw new FieldError(
      path,
      `${JSON.stringify(text)} is not a valid identifier: use 1–63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return text;
}

export function checkAbsolutePath(text: string, path: string): string {
  if (
    !text.startsWith("/") ||
    text.includes("\0") ||
    text.split("/").includes("..") ||
    text.length > 4096
  ) {
    throw new FieldError(path, `${JSON.stringify(text)} is not an absolute path without ".."`);
  }
  return text;
}

export function checkListLength<T>(list: readonly T[], max: number, path: string): readonly T[] {
  if (list.length > max)
    throw new FieldError(path, `has ${list.length} entries; at most ${max} are allowed`);
  return list;
}

export function checkMacAddress(text: string, path: string): string {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(text)) {
    throw new FieldError(path, `${JSON.stringify(text)} is not a MAC address (xx:xx:xx:xx:xx:xx)`);
  }
  if (Number.parseInt(text.slice(0, 2), 16) & 1) {
    throw new FieldError(path, `${JSON.stringify(text)} is a multicast MAC address`);
  }
  return text.toLowerCase();
}
