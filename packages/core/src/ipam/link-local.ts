// Modified EUI-64 link-local address of a MAC (RFC 4291 2.5.1 and appendix A).
import { formatIpv6 } from "./ipv6-address.js";

export function linkLocalFromMac(mac: string): string {
  const bytes = mac.split(":").map((b) => Number.parseInt(b, 16));
  if (bytes.length !== 6 || bytes.some((b) => Number.isNaN(b)))
    throw new Error(`not a MAC address: ${mac}`);
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = bytes;
  let iid = 0n;
  for (const byte of [a ^ 0x02, b, c, 0xff, 0xfe, d, e, f]) iid = (iid << 8n) | BigInt(byte);
  return formatIpv6((0xfe80n << 112n) | iid);
}
