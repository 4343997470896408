// Runs host commands through a small long-lived helper process instead of forking the server:
// a fork copies the parent's page tables, so each `ip`/`nft` spawned by metald (~450 MB RSS)
// costs ~30 ms of its main thread (../shared/LAB.md), ~70 ms on a loaded host. The helper is
// started once, early; it spawns what it is asked to (argument arrays, stable locale, as
// createCommandRunner) and answers with each command's exit code and output. The native helper
// (native/run-helper.c) starts commands with posix_spawn, a vfork; a Node helper, used when it
// was not built, forks itself (docs/performance.md compares them). If the helper ever exits,
// commands fall back to a direct spawn.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type CommandRunner,
  checkNetns,
  createCommandRunner,
  inNetns,
  RunError,
} from "./command-runner.js";

// Plain JavaScript given to `node -e` when the native helper (native/run-helper.c, built with
// the package when a C compiler is present) is absent; it speaks the same protocol (described
// there) and runs the same from the sources and the build.
const HELPER = `
const { spawn } = require("node:child_process");
const env = { PATH: process.env.PATH || "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" };
const reply = (id, code, out, err) => {
  process.stdout.write(Buffer.concat([
    Buffer.from(id + " " + (code === null ? "-" : code) + " " + out.length + " " + err.length + "\\n"),
    out, err]));
};
function start(id, command, args, input) {
  let child;
  try {
    child = spawn(command, args, { env, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
  } catch (error) {
    return reply(id, null, Buffer.alloc(0), Buffer.from(String(error && error.message)));
  }
  const out = [];
  const err = [];
  let done = false;
  child.stdout.on("data", (d) => out.push(d));
  child.stderr.on("data", (d) => err.push(d));
  const finish = (code, why) => {
    if (done) return;
    done = true;
    reply(id, code, Buffer.concat(out), why === undefined ? Buffer.concat(err) : Buffer.from(why));
  };
  child.on("error", (error) => finish(null, error.message));
  child.on("close", (code) => finish(code));
  if (child.stdin) { child.stdin.on("error", () => {}); child.stdin.end(input); }
}
// Chunks are joined only once the request they end could be complete.
let chunks = [];
let size = 0;
let needed = 0;
process.stdin.on("data", (chunk) => {
  chunks.push(chunk);
  size += chunk.length;
  if (size < needed) return;
  let pending = Buffer.concat(chunks, size);
  const keep = () => { chunks = [pending]; size = pending.length; };
  for (;;) {
    needed = 0;
    const tokens = [];
    let at = 0;
    const token = () => {
      const end = pending.indexOf(0, at);
      if (end < 0) return undefined;
      const t = pending.subarray(at, end).toString();
      at = end + 1;
      return t;
    };
    // id, network namespace (always empty: nsenter is in the command), command, argc.
    const head = [token(), token(), token(), token()];
    if (head[3] === undefined) return keep();
    const argc = Number(head[3]);
    for (let i = 0; i <= argc; i++) {
      const t = token();
      if (t === undefined) return keep();
      tokens.push(t);
    }
    const length = tokens.pop();
    const inputSize = length === "-" ? 0 : Number(length);
    if (pending.length - at < inputSize) {
      needed = at + inputSize;
      return keep();
    }
    const input = length === "-" ? undefined : pending.subarray(at, at + inputSize);
    pending = pending.subarray(at + inputSize);
    start(head[0], head[2], tokens, input);
  }
});
`;

/** The native helper, built beside the eBPF classifier (scripts/build-native.mjs). */
export const NATIVE_HELPER = fileURLToPath(
  new URL("../../dist/native/run-helper", import.meta.url),
);

/** One request: NUL-separated tokens, then the input's bytes. */
function encodeRequest(
  id: number,
  netns: string | undefined,
  command: string,
  args: readonly string[],
  input: string | undefined,
): Buffer {
  if (netns !== undefined) checkNetns(command, args, netns);
  for (const token of [command, ...args])
    if (token.includes("\0")) throw new RunError(command, args, null, "an argument holds a NUL");
  const body = input === undefined ? undefined : Buffer.from(input);
  const head = [
    String(id),
    netns ?? "",
    command,
    String(args.length),
    ...args,
    body ? String(body.length) : "-",
  ];
  return Buffer.concat([Buffer.from(`${head.join("\0")}\0`), body ?? Buffer.alloc(0)]);
}

interface Reply {
  id: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Splits the helper's output into replies: a header line, then the output's bytes. Chunks are
 * joined only once the reply they end could be complete (a large output arrives in many).
 */
function replyDecoder(onReply: (reply: Reply) => void): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  let size = 0;
  let needed = 0;
  return (chunk) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size < needed) return;
    let pending = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
    for (;;) {
      needed = 0;
      const eol = pending.indexOf(10);
      if (eol < 0) break;
      const [id, code, outLength, errLength] = pending.subarray(0, eol).toString().split(" ");
      const out = Number(outLength);
      const end = eol + 1 + out + Number(errLength);
      if (pending.length < end) {
        needed = end;
        break;
      }
      onReply({
        id: Number(id),
        code: code === "-" ? null : Number(code),
        stdout: pending.subarray(eol + 1, eol + 1 + out).toString("utf8"),
        stderr: pending.subarray(eol + 1 + out, end).toString("utf8"),
      });
      pending = pending.subarray(end);
    }
    chunks = pending.length > 0 ? [pending] : [];
    size = pending.length;
  };
}

export interface HelperRunner extends CommandRunner {
  /** The helper's process id (undefined once it exited). */
  readonly pid: number | undefined;
  /** Stops the helper; later commands spawn directly. */
  close(): void;
}

export interface HelperRunnerOptions {
  /** The native helper (default: when it was built), else the JavaScript one. */
  native?: boolean;
}

export function startHelperRunner(settings: HelperRunnerOptions = {}): HelperRunner {
  const direct = createCommandRunner();
  const waiting = new Map<
    number,
    { command: string; args: readonly string[]; resolve: (r: Reply) => void }
  >();
  let next = 0;
  const native = settings.native ?? existsSync(NATIVE_HELPER);
  let helper: ChildProcess | undefined = spawn(
    native ? NATIVE_HELPER : process.execPath,
    native ? [] : ["-e", HELPER],
    {
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
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
  helper.stdout?.on(
    "data",
    replyDecoder((reply) => {
      const w = waiting.get(reply.id);
      waiting.delete(reply.id);
      w?.resolve(reply);
    }),
  );
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
      // The native helper enters the namespace itself; the Node one runs nsenter.
      const spawned = native ? { command, args } : inNetns(command, args, options.netns);
      const request = encodeRequest(
        id,
        native ? options.netns : undefined,
        spawned.command,
        spawned.args,
        options.input,
      );
      const reply = await new Promise<Reply>((resolve) => {
        waiting.set(id, { command, args, resolve });
        stdin.write(request);
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
