// Runs host commands through a small long-lived helper process instead of forking the server:
// a fork copies the parent's page tables, so each `ip`/`nft` spawned by metald (~450 MB RSS)
// costs ~30 ms of its main thread (../shared/LAB.md), ~70 ms on a loaded host, against ~5 ms
// from a small helper. The helper is started once, early, while the server is still small; it
// spawns what it is asked to (argument arrays, stable locale, as createCommandRunner) and answers
// with each command's exit code and output. If it ever exits, commands fall back to a direct
// spawn.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { type CommandRunner, createCommandRunner, RunError } from "./command-runner.js";

// Plain JavaScript given to `node -e`: it runs the same from the sources and the build.
const HELPER = `
const { spawn } = require("node:child_process");
const env = { PATH: process.env.PATH || "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
const reply = (r) => process.stdout.write(JSON.stringify(r) + "\\n");
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  const r = JSON.parse(line);
  let child;
  try {
    child = spawn(r.command, r.args, {
      env, stdio: [r.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
  } catch (error) {
    return reply({ id: r.id, code: null, stdout: "", stderr: String(error && error.message) });
  }
  let stdout = "";
  let stderr = "";
  let done = false;
  child.stdout.on("data", (d) => { stdout += d; });
  child.stderr.on("data", (d) => { stderr += d; });
  child.on("error", (error) => {
    if (!done) { done = true; reply({ id: r.id, code: null, stdout, stderr: error.message }); }
  });
  child.on("close", (code) => {
    if (!done) { done = true; reply({ id: r.id, code, stdout, stderr }); }
  });
  if (child.stdin) { child.stdin.on("error", () => {}); child.stdin.end(r.input); }
});
`;

interface Reply {
  id: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface HelperRunner extends CommandRunner {
  /** The helper's process id (undefined once it exited). */
  readonly pid: number | undefined;
  /** Stops the helper; later commands spawn directly. */
  close(): void;
}

export function startHelperRunner(): HelperRunner {
  const direct = createCommandRunner();
  const waiting = new Map<
    number,
    { command: string; args: readonly string[]; resolve: (r: Reply) => void }
  >();
  let next = 0;
  let helper: ChildProcess | undefined = spawn(process.execPath, ["-e", HELPER], {
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const gone = () => {
    helper = undefined;
    // Commands in flight may or may not have run: report them failed, as a crash would.
    for (const [id, w] of waiting) {
      waiting.delete(id);
      w.resolve({ id, code: null, stdout: "", stderr: "host command helper exited" });
    }
  };
  helper.on("exit", gone);
  helper.on("error", gone);
  helper.stdin?.on("error", () => undefined);
  if (helper.stdout)
    createInterface({ input: helper.stdout }).on("line", (line) => {
      const reply = JSON.parse(line) as Reply;
      const w = waiting.get(reply.id);
      waiting.delete(reply.id);
      w?.resolve(reply);
    });
  // The helper must never keep the server running.
  helper.unref();

  return {
    get pid() {
      return helper?.pid;
    },
    async run(command, args, options = {}) {
      const stdin = helper?.stdin;
      if (!stdin?.writable) return direct.run(command, args, options);
      const id = next++;
      const reply = await new Promise<Reply>((resolve) => {
        waiting.set(id, { command, args, resolve });
        stdin.write(`${JSON.stringify({ id, command, args, input: options.input })}\n`);
      });
      if (reply.code === 0) return reply.stdout;
      throw new RunError(command, args, reply.code, reply.stderr);
    },
    close() {
      helper?.stdin?.end();
      helper?.kill();
      helper = undefined;
    },
  };
}
