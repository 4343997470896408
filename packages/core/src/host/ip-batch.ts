// Several `ip` commands of one VM in one process (`ip -batch -`): one spawn instead of one per
// link change. ip stops at the first command that fails and names its line ("Command failed
// -:N"): the failure is reported as the step that line belonged to, with the kernel's reason.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CommandRunner, RunError } from "./command-runner.js";
import { HostApplyError, type HostStep } from "./host-apply-error.js";

export interface IpBatchLine {
  /** The command's arguments, as for `ip` (no global options). */
  args: readonly string[];
  step: HostStep;
  /** The link or namespace the command works on. */
  subject?: string;
}

/** The batch's input: one command a line. Arguments are names and addresses, never spaced. */
export function renderIpBatch(lines: readonly IpBatchLine[]): string {
  return lines
    .map(({ args }) => {
      // A batch line takes no global options (`-6`, `-n`): they belong to the whole batch.
      if (args[0]?.startsWith("-"))
        throw new Error(`ip batch line ${JSON.stringify(args.join(" "))} starts with an option`);
      for (const arg of args)
        if (arg === "" || /[\s"'\\#]/.test(arg))
          throw new Error(`ip batch argument ${JSON.stringify(arg)} cannot be written on a line`);
      return `${args.join(" ")}\n`;
    })
    .join("");
}

/** The 0-based index of the failed command in ip's "Command failed -:N" line, if named. */
export function failedIpBatchLine(stderr: string): number | undefined {
  const match = /Command failed -:(\d+)/.exec(stderr);
  return match ? Number(match[1]) - 1 : undefined;
}

/**
 * Runs `lines` in one `ip -batch -` (inside `namespace` if given; `-j` so that `show` lines
 * answer JSON, one array a line). Returns ip's output; a failure throws HostApplyError naming
 * the failed line's step and subject.
 */
export function runIpBatch(
  runner: CommandRunner,
  vmId: string,
  namespace: string | undefined,
  lines: readonly IpBatchLine[],
): Promise<string> {
  if (lines.length === 0) return Promise.resolve("");
  return named(vmId, lines, () =>
    runner.run("ip", ["-j", "-batch", "-"], { input: renderIpBatch(lines), netns: namespace }),
  );
}

/** Where `ip netns` keeps a named namespace: a file its network namespace is bound to. */
export const NETNS_DIR = "/run/netns";

/**
 * Creates the network namespace `name` (as `ip netns add` would: bound to /run/netns/NAME) and
 * runs `lines` inside it, in one process (`unshare --net=FILE ip -batch -`) instead of two. The
 * caller removes the namespace if this fails: the file, or the namespace bound to it, may exist.
 */
export async function runIpBatchInNewNamespace(
  runner: CommandRunner,
  vmId: string,
  name: string,
  lines: readonly IpBatchLine[],
): Promise<string> {
  const file = join(NETNS_DIR, name);
  try {
    // unshare binds the namespace onto an existing file; "wx": never one that is taken.
    await writeFile(file, "", { flag: "wx", mode: 0o444 });
  } catch (error) {
    throw new HostApplyError(vmId, "namespace", name, error);
  }
  return named(vmId, lines, () =>
    runner.run("unshare", [`--net=${file}`, "ip", "-j", "-batch", "-"], {
      input: renderIpBatch(lines),
    }),
  );
}

/** Runs a batch; a failure throws HostApplyError naming the failed line's step and subject. */
async function named(
  vmId: string,
  lines: readonly IpBatchLine[],
  run: () => Promise<string>,
): Promise<string> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof RunError)) throw error;
    const failed = lines[failedIpBatchLine(error.stderr) ?? 0] ?? lines[0];
    const reason = new RunError(
      "ip",
      failed?.args ?? [],
      error.exitCode,
      error.stderr.replace(/^Command failed -:\d+\s*$/m, "").trim(),
    );
    throw new HostApplyError(vmId, failed?.step ?? "port", failed?.subject, reason);
  }
}

/** The interface indexes in the JSON answers of a batch's `link show` lines, by name. */
export function ifindexesOf(output: string): Map<string, number> {
  const indexes = new Map<string, number>();
  for (const line of output.split("\n")) {
    if (!line.startsWith("[")) continue;
    for (const link of JSON.parse(line) as { ifname?: string; ifindex?: number }[])
      if (link.ifname && link.ifindex !== undefined) indexes.set(link.ifname, link.ifindex);
  }
  return indexes;
}
