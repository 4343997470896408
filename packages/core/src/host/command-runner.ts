// Runs host commands with argument arrays (never a shell) in a stable locale.
import { spawn } from "node:child_process";

export class RunError extends Error {
  override name = "RunError";
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command} ${args.join(" ")}: ${stderr.trim() || `exit code ${exitCode}`}`);
  }
}

export interface RunOptions {
  /** Text written to the command's standard input. */
  input?: string;
  /**
   * A named network namespace (/run/netns/NAME) to run in. Only the network changes: the
   * command keeps the host's mount namespace (its /sys and bpffs), unlike `ip -n`.
   */
  netns?: string;
}

const NETNS_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Refuses a namespace name that is not a plain file name under /run/netns. */
export function checkNetns(command: string, args: readonly string[], netns: string): void {
  if (!NETNS_NAME.test(netns))
    throw new RunError(command, args, null, `invalid namespace ${netns}`);
}

/** The command and arguments that run `command` in `netns` through nsenter (no helper). */
export function inNetns(
  command: string,
  args: readonly string[],
  netns: string | undefined,
): { command: string; args: readonly string[] } {
  if (netns === undefined) return { command, args };
  checkNetns(command, args, netns);
  return { command: "nsenter", args: [`--net=/run/netns/${netns}`, command, ...args] };
}

export interface CommandRunner {
  run(command: string, args: readonly string[], options?: RunOptions): Promise<string>;
}

export function createCommandRunner(): CommandRunner {
  return {
    run(command, args, options = {}) {
      return new Promise((resolve, reject) => {
        const spawned = inNetns(command, args, options.netns);
        const child = spawn(spawned.command, spawned.args, {
          env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
          stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
        });
        child.stderr?.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
        });
        child.on("error", (error) => reject(new RunError(command, args, null, error.message)));
        child.on("close", (code) => {
          if (code === 0) resolve(stdout);
          else reject(new RunError(command, args, code, stderr));
        });
        if (child.stdin) {
          // A command that exits without reading its input must not crash the server.
          child.stdin.on("error", () => undefined);
          child.stdin.end(options.input);
        }
      });
    },
  };
}
