// Sends syslog messages to one receiver: over TCP or TLS with RFC 6587 octet counting, one
// connection per batch that ends with a graceful close, or over UDP, one datagram per message.
//
// Why a connection per batch: syslog over TCP (RFC 6587, RFC 5425) has no application-level
// acknowledgement, so bytes a socket accepted may still die in the kernel's buffers when the
// receiver goes away. Closing our side and waiting for the receiver's own close (its FIN, or its
// TLS close_notify) proves it read everything up to our end of stream: a receiver that died
// with unread bytes resets the connection instead, and the batch is sent again. What the
// receiver does with what it read (its queue, its disk) is beyond what syslog can tell.
import { createSocket } from "node:dgram";
import { readFile } from "node:fs/promises";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { frameOctetCounted, type SyslogEndpoint } from "@metald/core";

export interface SyslogTlsFiles {
  /** PEM bundle the receiver's certificate must chain to; unset: the system's roots. */
  caFile?: string;
  /** A client certificate and key for receivers that require one (RFC 5425 §5.2). */
  certFile?: string;
  keyFile?: string;
  /** Name checked against the receiver's certificate; unset: the endpoint's host. */
  serverName?: string;
}

export interface SyslogSenderOptions {
  endpoint: SyslogEndpoint;
  tls?: SyslogTlsFiles;
  /** Connect, write and close must finish within this (default 10 s). */
  timeoutMs?: number;
}

export interface SyslogSender {
  /**
   * Resolves once the receiver has read every message (TCP, TLS), or once every datagram was
   * handed to the kernel (UDP, which can never know more).
   */
  send(messages: readonly string[], signal?: AbortSignal): Promise<void>;
}

export function createSyslogSender(options: SyslogSenderOptions): SyslogSender {
  const { endpoint } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (endpoint.transport === "udp") return { send: (messages) => sendUdp(endpoint, messages) };
  return {
    async send(messages, signal) {
      // Files are read per connection, so a renewed certificate takes effect without a restart.
      const socket =
        endpoint.transport === "tls"
          ? connectTls({
              host: endpoint.host,
              port: endpoint.port,
              // SNI carries names only (RFC 6066); an address is still checked against the SAN.
              servername: options.tls?.serverName ?? (isIP(endpoint.host) ? "" : endpoint.host),
              minVersion: "TLSv1.2",
              ...(await readTlsFiles(options.tls)),
            })
          : connectTcp({ host: endpoint.host, port: endpoint.port });
      await closeAfterWriting(socket, messages, endpoint.transport === "tls", timeoutMs, signal);
    },
  };
}

async function readTlsFiles(files: SyslogTlsFiles | undefined) {
  const read = (path: string | undefined) => (path === undefined ? undefined : readFile(path));
  const [ca, cert, key] = await Promise.all([
    read(files?.caFile),
    read(files?.certFile),
    read(files?.keyFile),
  ]);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

function closeAfterWriting(
  socket: Socket,
  messages: readonly string[],
  secure: boolean,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let peerEnded = false;
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`syslog receiver did not close within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => fail(new Error("syslog send aborted"));
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort);
    socket.setNoDelay(true);
    socket.on("error", fail);
    // Data from a syslog receiver means nothing; it is read only to see its end.
    socket.on("data", () => {});
    socket.on("end", () => {
      peerEnded = true;
    });
    socket.on("close", (hadError) => {
      if (hadError) return; // "error" already failed the send
      cleanup();
      if (peerEnded) resolve();
      else reject(new Error("syslog connection closed before the receiver ended it"));
    });
    socket.once(secure ? "secureConnect" : "connect", () => {
      socket.end(Buffer.concat(messages.map((m) => frameOctetCounted(m))));
    });
  });
}

function sendUdp(endpoint: SyslogEndpoint, messages: readonly string[]): Promise<void> {
  const family = endpoint.host.includes(":") ? "udp6" : "udp4";
  const socket = createSocket(family);
  return new Promise<void>((resolve, reject) => {
    socket.on("error", (error) => {
      socket.close();
      reject(error);
    });
    socket.connect(endpoint.port, endpoint.host, async () => {
      try {
        for (const message of messages)
          await new Promise<void>((sent, failed) =>
            socket.send(Buffer.from(message, "utf8"), (error) => (error ? failed(error) : sent())),
          );
        socket.close();
        resolve();
      } catch (error) {
        socket.close();
        reject(error);
      }
    });
  });
}
