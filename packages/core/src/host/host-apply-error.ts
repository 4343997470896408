// A host change that did not take effect, named in the product's terms (which step, for which
// VM) rather than as a command line; the command's own error stays attached as the cause.
import { RunError } from "./command-runner.js";

export type HostStep =
  | "namespace"
  | "bridge"
  | "port"
  | "addresses"
  | "sysctls"
  | "nftables"
  | "guard"
  | "vlans"
  | "remove";

const STEP_TEXT: Record<HostStep, string> = {
  namespace: "creating the VM's network namespace",
  bridge: "creating the tenant bridge",
  port: "creating the VM's port on its bridge",
  addresses: "assigning the VM's addresses",
  sysctls: "setting the port's IPv6 kernel parameters",
  nftables: "programming the VM's nftables rules",
  guard: "programming the VM's eBPF port guard",
  vlans: "programming the VM's port VLANs",
  remove: "removing the VM's host resources",
};

export class HostApplyError extends Error {
  override name = "HostApplyError";
  constructor(
    readonly vmId: string,
    readonly step: HostStep,
    /** The object the step worked on (a bridge, port or namespace name), if any. */
    readonly subject: string | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `host could not apply vm ${vmId}: ${STEP_TEXT[step]}${subject ? ` ${subject}` : ""} failed (${reasonOf(cause)}); no change was kept, the request can be retried`,
    );
  }
}

/** The kernel's or tool's reason, without the command line. */
function reasonOf(cause: unknown): string {
  if (cause instanceof RunError) {
    const lines = cause.stderr
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("^"));
    // nft prints the offending script line after the message: keep the message only.
    const message = lines.find((l) => /error|answers|cannot|no such|exists|denied/i.test(l));
    return (message ?? lines[0] ?? `exit code ${cause.exitCode}`).replace(/^.*?Error: /, "");
  }
  return cause instanceof Error ? cause.message : String(cause);
}
