// `metald vm-exec VM [--] CMD…`: runs a command inside a VM's guest, as the guides' troubleshooting
// scripts do (`metald vm-exec "$vm_id" ip -6 addr show`). With the netns runtime (sandbox mode)
// the guest is the VM's own network namespace, so the command runs there with `ip netns exec`.
// A Firecracker guest has its own kernel and no agent metald can reach: refused, clearly.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { guestNamespaceName } from "@metald/core";

export interface VmExecRequest {
  vmId: string;
  command: string[];
  /** The sandbox's guest namespace scope (sandboxGuestScope), if it has one. */
  scope?: string;
}

/** Splits `VM [--] CMD…`; the command's own options (`ip -6 …`) are never parsed as metald's. */
export function parseVmExecArgs(args: readonly string[]): VmExecRequest | { error: string } {
  const [vmId, ...rest] = args;
  const command = rest[0] === "--" ? rest.slice(1) : rest;
  if (!vmId || vmId.startsWith("-"))
    return { error: "usage: metald vm-exec VM [--] COMMAND [ARG…]" };
  if (command.length === 0) return { error: `metald vm-exec ${vmId}: no command to run` };
  return { vmId, command };
}

/** Where the namespace's handle lives when it exists (`ip netns add` mounts it there). */
export function guestNamespacePath(vmId: string, scope?: string): string {
  return `/run/netns/${guestNamespaceName(vmId, scope)}`;
}

/** Runs the command with the terminal's stdio; resolves to the command's exit code. */
export async function runVmExec(request: VmExecRequest): Promise<number> {
  const namespace = guestNamespaceName(request.vmId, request.scope);
  if (!existsSync(guestNamespacePath(request.vmId, request.scope))) {
    console.error(
      `metald vm-exec: VM ${JSON.stringify(request.vmId)} has no guest namespace ${namespace} on this host: it is not booted here, or it runs under Firecracker (vm-exec works with the netns runtime of sandbox mode only)`,
    );
    return 1;
  }
  const child = spawn("ip", ["netns", "exec", namespace, ...request.command], {
    stdio: "inherit",
  });
  return await new Promise<number>((resolve) => {
    child.on("error", (error) => {
      console.error(`metald vm-exec: ${error.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
