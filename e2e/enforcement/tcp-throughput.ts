// Measures TCP throughput from one sandbox guest to another with iperf3: a one-off server in
// the receiver's namespace, a client in the sender's, the receiver's byte count as the result.
import { spawn } from "node:child_process";
import { type Guest, inGuest } from "./sandbox-guests.js";

const READY_TIMEOUT_MS = 10_000;

export interface TcpThroughputOptions {
  seconds: number;
  /** Leading seconds left out of the result (slow start, the limiter's initial burst). */
  omitSeconds?: number;
  port?: number;
}

/** Runs one iperf3 TCP test from `sender` to `receiver`; resolves the received bits/s. */
export async function tcpThroughput(
  sender: Guest,
  receiver: Guest,
  { seconds, omitSeconds = 0, port = 5201 }: TcpThroughputOptions,
): Promise<number> {
  // --one-off: the server ends after this test; --forceflush: its "listening" line is not
  // held in a pipe buffer, so the client starts only once the socket is bound.
  const server = spawn(
    "ip",
    [
      "netns",
      "exec",
      receiver.namespace,
      "iperf3",
      "--server",
      "--one-off",
      "--forceflush",
      "--bind",
      receiver.address,
      "--port",
      String(port),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => reject(new Error(`iperf3 server not listening after ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS,
      );
      server.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("Server listening")) {
          clearTimeout(timer);
          resolve();
        }
      });
      server.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`iperf3 server exited ${code} before listening: ${out}`));
      });
    });
    const report = await inGuest(sender, "iperf3", [
      "--client",
      receiver.address,
      "--bind",
      sender.address,
      "--port",
      String(port),
      "--time",
      String(seconds),
      "--omit",
      String(omitSeconds),
      "--json",
    ]);
    const parsed = JSON.parse(report) as {
      end?: { sum_received?: { bits_per_second?: number } };
      error?: string;
    };
    const bps = parsed.end?.sum_received?.bits_per_second;
    if (bps === undefined) throw new Error(`iperf3 gave no result: ${parsed.error ?? report}`);
    return bps;
  } finally {
    server.kill("SIGKILL");
  }
}
