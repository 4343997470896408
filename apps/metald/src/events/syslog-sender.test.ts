import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { readOctetCounted } from "@metald/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSyslogSender } from "./syslog-sender.js";

/** A receiver that reads octet-counted frames and closes its side when the sender ends. */
function collect(socket: Socket, into: string[][]) {
  let buffered: Buffer = Buffer.alloc(0);
  const batch: string[] = [];
  socket.on("data", (chunk: Buffer) => {
    const { messages, rest } = readOctetCounted(Buffer.concat([buffered, chunk]));
    batch.push(...messages);
    buffered = rest;
  });
  socket.on("end", () => {
    into.push(batch);
    socket.end();
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("syslog sender", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "metald-syslog-unit-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-days",
        "1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes a batch over TCP and resolves after the receiver read it and closed", async () => {
    const batches: string[][] = [];
    const server = createTcpServer((socket) => collect(socket, batches));
    const port = await listen(server);
    const sender = createSyslogSender({ endpoint: { transport: "tcp", host: "127.0.0.1", port } });
    await sender.send(["<86>1 - - metald - - - one\ntwo", "<86>1 - - metald - - - ünï"]);
    expect(batches).toEqual([["<86>1 - - metald - - - one\ntwo", "<86>1 - - metald - - - ünï"]]);
    server.close();
  });

  it("fails when nothing listens, so the batch stays in the outbox", async () => {
    const server = createTcpServer();
    const port = await listen(server);
    server.close();
    const sender = createSyslogSender({ endpoint: { transport: "tcp", host: "127.0.0.1", port } });
    await expect(sender.send(["x"])).rejects.toThrow(/ECONNREFUSED/);
  });

  it("fails when the receiver never closes its side", async () => {
    const held: Socket[] = [];
    const server = createTcpServer({ allowHalfOpen: true }, (socket) => {
      held.push(socket);
      socket.resume();
    });
    const port = await listen(server);
    const sender = createSyslogSender({
      endpoint: { transport: "tcp", host: "127.0.0.1", port },
      timeoutMs: 300,
    });
    await expect(sender.send(["x"])).rejects.toThrow(/did not close within 300 ms/);
    for (const socket of held) socket.destroy();
    server.close();
  });

  it("speaks TLS to a receiver whose certificate chains to the given CA file", async () => {
    const batches: string[][] = [];
    const server = createTlsServer(
      { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
      (socket) => collect(socket, batches),
    );
    const port = await listen(server as unknown as Server);
    const endpoint = { transport: "tls" as const, host: "127.0.0.1", port };
    await createSyslogSender({ endpoint, tls: { caFile: join(dir, "cert.pem") } }).send(["a", "b"]);
    expect(batches).toEqual([["a", "b"]]);
    // Without the CA, the self-signed receiver is refused.
    await expect(createSyslogSender({ endpoint }).send(["c"])).rejects.toThrow(/self-signed/);
    expect(batches).toHaveLength(1);
    server.close();
  });

  it("sends one datagram per message over UDP", async () => {
    const socket = createSocket("udp4");
    const received: string[] = [];
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    socket.on("message", (message) => received.push(message.toString("utf8")));
    const { port } = socket.address();
    await createSyslogSender({ endpoint: { transport: "udp", host: "127.0.0.1", port } }).send([
      "first",
      "second",
    ]);
    await expect.poll(() => received).toEqual(["first", "second"]);
    socket.close();
  });
});
