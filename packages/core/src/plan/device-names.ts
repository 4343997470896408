// Host device names and guest identities derived from ids: stable, unique enough, and within
// Linux's 15 characters.
import { createHash } from "node:crypto";
import { isLinuxName } from "../net/linux-name.js";

function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** "tap" + 8 hex of the VM id + interface index: e.g. "tap1f2e3d4c0". */
export function tapName(vmId: string, interfaceIndex: number): string {
  return `tap${shortHash(vmId, 8)}${interfaceIndex}`;
}

/**
 * The namespace that holds a VM's guest side in the sandbox and netns runtime. `scope` (a
 * sandbox's own namespace name) keeps the guests of two sandboxes on one kernel apart: the
 * same VM may have a guest in each while it moves from one host to the other.
 */
export function guestNamespaceName(vmId: string, scope?: string): string {
  return `mvm-${shortHash(scope ? `${scope}/${vmId}` : vmId, 10)}`;
}

/** The tenant's default bridge: "br-<tenant>" when that fits, else "br-t<hash>". */
export function tenantBridgeName(tenantId: string): string {
  const plain = `br-${tenantId}`;
  return isLinuxName(plain) ? plain : `br-t${shortHash(tenantId, 10)}`;
}

/** A locally administered unicast MAC for a VM interface that was given none. */
export function macAddressFor(vmId: string, interfaceIndex: number): string {
  const hex = shortHash(`${vmId}/${interfaceIndex}`, 10);
  return `02:${hex.match(/../g)?.join(":")}`;
}
