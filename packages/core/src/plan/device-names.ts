// Host device names derived from ids: stable, unique enough, and within Linux's 15 characters.
import { createHash } from "node:crypto";
import { isLinuxName } from "../net/linux-name.js";

function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** "tap" + 8 hex of the VM id + interface index: e.g. "tap1f2e3d4c0". */
export function tapName(vmId: string, interfaceIndex: number): string {
  return `tap${shortHash(vmId, 8)}${interfaceIndex}`;
}

/** The tenant's default bridge: "br-<tenant>" when that fits, else "br-t<hash>". */
export function tenantBridgeName(tenantId: string): string {
  const plain = `br-${tenantId}`;
  return isLinuxName(plain) ? plain : `br-t${shortHash(tenantId, 10)}`;
}
