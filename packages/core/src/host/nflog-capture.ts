// Reads nftables `log group N` packet samples by running tcpdump on nflog:N and parsing its pcap.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { type NflogRecord, parseNflogRecord } from "../events/nflog/nflog-record.js";
import { createPcapStreamParser, LINKTYPE_NFLOG } from "../events/nflog/pcap-stream.js";
import { linuxNameProblem } from "../net/linux-name.js";

export class NflogCaptureError extends Error {
  override name = "NflogCaptureError";
}

export interface NflogCaptureOptions {
  /** The nflog group of the rules' `log group N` (0–65535). */
  group: number;
  /** Network namespace holding the rules; the current one when absent. */
  namespace?: string;
  /**
   * tcpdump's snapshot length (default 512). libpcap also sizes its netlink buffer from it (about
   * snaplen + 128 bytes): a message larger than that kills tcpdump, so the rules should cap the
   * copied packet with `log ... snaplen S`, S about snaplen - 256.
   */
  snaplen?: number;
  /** `at`: when tcpdump read the sample. */
  onRecord: (record: NflogRecord, at: Date) => void;
  onError: (error: Error) => void;
}

export interface NflogCapture {
  /** Resolves once tcpdump listens on the group; rejects if it never does. */
  ready: Promise<void>;
  /** Stops tcpdump; resolves when it has exited. */
  stop(): Promise<void>;
}

const DEFAULT_SNAPLEN = 512;
const STOP_GRACE_MS = 2000;
// Only the end of stderr is kept: it is for error messages.
const STDERR_KEEP = 4096;

/** The command and arguments that capture `group` (inside `namespace` when given). */
export function nflogCaptureCommand(
  group: number,
  namespace?: string,
  snaplen: number = DEFAULT_SNAPLEN,
): { command: string; args: string[] } {
  if (!Number.isInteger(group) || group < 0 || group > 0xffff) {
    throw new RangeError(`nflog group ${group} is not an integer 0–65535`);
  }
  if (!Number.isInteger(snaplen) || snaplen < 64 || snaplen > 262144) {
    throw new RangeError(`snaplen ${snaplen} is not an integer 64–262144`);
  }
  const tcpdump = [
    "tcpdump",
    "-i",
    `nflog:${group}`,
    "-U",
    "-w",
    "-",
    "--immediate-mode",
    "-s",
    String(snaplen),
  ];
  if (namespace === undefined) return { command: "tcpdump", args: tcpdump.slice(1) };
  const problem = linuxNameProblem(namespace);
  if (problem) throw new RangeError(`namespace name ${JSON.stringify(namespace)} ${problem}`);
  return { command: "ip", args: ["netns", "exec", namespace, ...tcpdump] };
}

/**
 * Stops captures of this very command that outlived the process that started them. A metald
 * killed with SIGKILL leaves its tcpdump running (nothing tells it: it writes only when a sample
 * comes), and a group has one reader at a time: the next capture would be refused ("Can't listen
 * on group index") and metald could not start again. Such a leftover runs `tcpdumpArgv` in the
 * same network namespace and has been handed to init (parent 1); it is killed, and waited for.
 */
function stopOrphanedCaptures(tcpdumpArgv: string[], namespace: string | undefined): void {
  const inode = (path: string) => {
    try {
      return statSync(path).ino;
    } catch {
      return undefined;
    }
  };
  const ours = inode(namespace === undefined ? "/proc/self/ns/net" : `/run/netns/${namespace}`);
  if (ours === undefined) return;
  const wanted = `${tcpdumpArgv.join("\0")}\0`;
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
  // The fields after the command name (in parentheses): state, then parent pid.
  const statOf = (pid: string) =>
    read(`/proc/${pid}/stat`)
      ?.replace(/^.*\) /s, "")
      .split(" ");
  const orphans = readdirSync("/proc").filter(
    (pid) =>
      /^\d+$/.test(pid) &&
      read(`/proc/${pid}/cmdline`) === wanted &&
      statOf(pid)?.[1] === "1" &&
      inode(`/proc/${pid}/ns/net`) === ours,
  );
  for (const pid of orphans) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  // Exited (gone, or a zombie) releases the group; startup waits for that, 2 s at most.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < 2000; waited += 10) {
    if (orphans.every((pid) => (statOf(pid)?.[0] ?? "Z") === "Z")) return;
    Atomics.wait(pause, 0, 0, 10);
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export function startNflogCapture(options: NflogCaptureOptions): NflogCapture {
  const { command, args } = nflogCaptureCommand(options.group, options.namespace, options.snaplen);
  stopOrphanedCaptures(
    options.namespace === undefined ? [command, ...args] : args.slice(3),
    options.namespace,
  );
  const parser = createPcapStreamParser();
  const listening = new RegExp(`listening on nflog:${options.group}\\b`);
  let stderr = "";
  let isReady = false;
  let stopping = false;
  let failed = false;
  let markReady: () => void = () => undefined;
  let markFailed: (error: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  // A caller that only awaits stop() must not see an unhandled rejection.
  ready.catch(() => undefined);

  const child: ChildProcess = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));

  function fail(error: Error): void {
    if (!isReady) markFailed(error);
    if (failed || stopping) return;
    failed = true;
    options.onError(error);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  }

  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_KEEP);
    if (!isReady && listening.test(stderr)) {
      isReady = true;
      markReady();
    }
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    if (failed) return;
    const samples: [NflogRecord, Date][] = [];
    let streamError: Error | undefined;
    try {
      for (const record of parser.push(chunk)) {
        if (record.linktype !== LINKTYPE_NFLOG) {
          throw new NflogCaptureError(`tcpdump wrote link type ${record.linktype}, not NFLOG`);
        }
        const parsed = parseNflogRecord(record.data, { littleEndian: record.littleEndian });
        samples.push([parsed, record.timestamp]);
      }
    } catch (error) {
      streamError = asError(error);
    }
    for (const [record, at] of samples) {
      try {
        options.onRecord(record, at);
      } catch (error) {
        // A failing consumer loses one sample, not the capture.
        options.onError(asError(error));
      }
    }
    // The stream is out of step: nothing after this point can be trusted.
    if (streamError) fail(streamError);
  });
  child.on("error", (error) => {
    fail(new NflogCaptureError(`${command} could not start: ${error.message}`));
  });
  child.on("close", (code, signal) => {
    const said = stderr
      .split("\n")
      .filter((line) => !listening.test(line))
      .join("\n")
      .trim();
    const detail = said || (signal ? `signal ${signal}` : `exit code ${code}`);
    fail(new NflogCaptureError(`tcpdump on nflog:${options.group} exited: ${detail}`));
  });

  return {
    ready,
    async stop() {
      stopping = true;
      if (!isReady) markFailed(new NflogCaptureError("capture stopped before it was ready"));
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        return;
      }
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
