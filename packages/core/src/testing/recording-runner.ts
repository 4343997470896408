// A command runner that records commands and answers like a host with nothing on it yet, for
// driver tests without a kernel: the commands of a `-batch -` are recorded one by one, as if
// run alone, and sysctl writes as `sysctl`. `fail` makes chosen commands fail as the kernel
// would refuse them, `answer` gives chosen commands an output.
import { type CommandRunner, RunError } from "../host/command-runner.js";
import type { SysctlWriter } from "../host/sysctl-writer.js";

export interface RecordedCall {
  command: string;
  args: readonly string[];
  input?: string;
}

type Hook = (command: string, args: readonly string[]) => string | undefined;

export function recordingRunner(hooks: { fail?: Hook; answer?: Hook } = {}) {
  const calls: RecordedCall[] = [];
  const sysctls: SysctlWriter = {
    async write(entries) {
      calls.push({ command: "sysctl", args: entries.map((e) => `${e.key}=${e.value}`) });
    },
  };
  const runner: CommandRunner = {
    async run(command, args, options = {}) {
      const refused = hooks.fail?.(command, args);
      if (refused !== undefined) throw new RunError(command, args, 1, refused);
      if (args.includes("-batch")) {
        for (const line of (options.input ?? "").trim().split("\n"))
          calls.push({ command, args: line.split(" ") });
        return "";
      }
      calls.push({ command, args, input: options.input });
      const answer = hooks.answer?.(command, args);
      if (answer !== undefined) return answer;
      if (args.includes("show") && !args.includes("-d") && command === "ip")
        throw new RunError(command, args, 1, "does not exist");
      if (args[0] === "-j" && args[1] === "netns") return "[]";
      if (args.includes("-d")) return "[]";
      return "";
    },
  };
  /** Every call as one line ("ip link set …", "bridge vlan add …"). */
  const lines = () => calls.map((c) => [c.command, ...c.args].join(" "));
  return { runner, calls, sysctls, lines };
}
