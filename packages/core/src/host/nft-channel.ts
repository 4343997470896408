// nftables transactions through one long-lived `nft -i` process instead of one `nft -f -` per
// change: a spawned nft rebuilds its cache of the table on every run (~5 ms here, more from a
// large server), while an interactive one keeps it, so each transaction costs ~0.3-0.5 ms
// (../shared/LAB.md). One input line is one transaction (atomic: a line with a bad statement
// applies nothing), so a script's statements are joined with "; " on one line. nft -i answers
// nothing on success; after each transaction a marker line (a deliberate syntax error naming a
// serial number) makes nft print an error that names it: what nft printed before that belongs
// to the transaction, and an empty answer means it applied.
import { type ChildProcess, spawn } from "node:child_process";
import { RunError } from "./command-runner.js";

/** Applies nftables scripts atomically, one transaction each. */
export interface NftTransactions {
  /** Applies `script` (statements in `nft -f` syntax) as one transaction; RunError if refused. */
  apply(script: string): Promise<void>;
  /** Stops the channel (later transactions start a new one). */
  close(): void;
}

export interface NftChannelOptions {
  /** The network namespace the tables live in (undefined: this process's). */
  namespace?: string;
  /** Starts the interactive process; default `nft -i` (through `ip netns exec` for a namespace). */
  spawnNft?: (args: string[]) => ChildProcess;
}

const MARKER = "metald_transaction_end_";

/**
 * One script as one input line: the per-VM scripts hold one statement per line, and nft takes
 * ";" between statements as it takes a newline. (A comment would swallow the rest of the line:
 * the scripts given here carry none.)
 */
export function toTransactionLine(script: string): string {
  return script
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join("; ");
}

/**
 * The transaction's own errors out of what nft printed for it and its marker: the marker's
 * answer is its "Error:" line, the marker line and the caret line under it.
 */
export function transactionErrors(lines: readonly string[], marker: string): string {
  const at = lines.findIndex((l) => l.trim() === marker);
  const own = at < 0 ? lines : lines.slice(0, Math.max(0, at - 1));
  return own.join("\n").trim();
}

interface Pending {
  marker: string;
  line: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

export function createNftChannel(options: NftChannelOptions = {}): NftTransactions {
  const spawnNft =
    options.spawnNft ??
    ((args: string[]) =>
      spawn(options.namespace ? "ip" : "nft", options.namespace ? args : args.slice(1), {
        env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
        stdio: ["pipe", "ignore", "pipe"],
      }));
  const args = [...(options.namespace ? ["netns", "exec", options.namespace] : []), "nft", "-i"];
  let child: ChildProcess | undefined;
  let serial = 0;
  const queue: Pending[] = [];
  let buffered = "";
  let answer: string[] = [];
  let markerSeen = false;

  const fail = (reason: string) => {
    child = undefined;
    buffered = "";
    answer = [];
    markerSeen = false;
    // A transaction in flight may or may not have applied: its caller rolls back as on any
    // failure (and the reconcile repairs the tables).
    for (const p of queue.splice(0)) p.reject(new RunError("nft", ["-i"], null, reason));
  };

  function onLine(line: string): void {
    const head = queue[0];
    if (!head) return;
    if (markerSeen) {
      // The caret line under the marker ends the transaction's answer.
      queue.shift();
      const errors = transactionErrors(answer, head.marker);
      answer = [];
      markerSeen = false;
      if (errors === "") head.resolve();
      else head.reject(new RunError("nft", ["-i"], 1, errors));
      return;
    }
    answer.push(line);
    if (line.trim() === head.marker) markerSeen = true;
  }

  function start(): ChildProcess {
    const started = spawnNft(args);
    started.stdin?.on("error", () => undefined);
    started.stderr?.setEncoding("utf8");
    started.stderr?.on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        onLine(line);
      }
    });
    const gone = (reason: string) => {
      if (child === started) fail(reason);
    };
    started.on("exit", (code) => gone(`nft -i exited (code ${code})`));
    started.on("error", (error) => gone(error.message));
    // The channel must never keep the server running.
    started.unref();
    return started;
  }

  return {
    apply(script) {
      const line = toTransactionLine(script);
      if (line === "") return Promise.resolve();
      child ??= start();
      const stdin = child.stdin;
      const marker = `${MARKER}${serial++}`;
      return new Promise<void>((resolve, reject) => {
        queue.push({ marker, line, resolve, reject });
        stdin?.write(`${line}\n${marker}\n`);
      });
    },
    close() {
      const c = child;
      fail("nft channel closed");
      c?.stdin?.end();
      c?.kill();
    },
  };
}

/** Transactions as one `nft -f -` each, through a command runner (no long-lived process). */
export function createNftScriptRunner(
  run: (args: string[], input: string) => Promise<string>,
): NftTransactions {
  return {
    async apply(script) {
      if (script.trim() !== "") await run(["-f", "-"], script);
    },
    close() {},
  };
}
