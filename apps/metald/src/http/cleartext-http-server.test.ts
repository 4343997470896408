import { once } from "node:events";
import { Agent, request as http1Request } from "node:http";
import { connect as http2Connect } from "node:http2";
import { type AddressInfo, connect as tcpConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type CleartextHttpServer, createCleartextHttpServer } from "./cleartext-http-server.js";

describe("createCleartextHttpServer", () => {
  let server: CleartextHttpServer;
  let port: number;

  beforeAll(async () => {
    server = createCleartextHttpServer((req, res) => {
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
      });
      req.on("end", () => res.end(`HTTP/${req.httpVersion} ${req.method} ${req.url} ${size}`));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeHttp2Sessions();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("answers HTTP/1.1, keeping the connection alive between requests", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ body: string; socket: unknown }>((resolve, reject) => {
        const req = http1Request({ port, host: "127.0.0.1", path: "/a", method: "POST", agent });
        req.on("response", (res) => {
          let body = "";
          res.on("data", (c: Buffer) => {
            body += c.toString();
          });
          res.on("end", () => resolve({ body, socket: req.socket }));
        });
        req.on("error", reject);
        req.end("hello");
      });
    const first = await get();
    const second = await get();
    agent.destroy();
    expect(first.body).toBe("HTTP/1.1 POST /a 5");
    expect(second.socket).toBe(first.socket);
  });

  it("answers HTTP/2 with prior knowledge, several streams on one connection", async () => {
    const session = http2Connect(`http://127.0.0.1:${port}`);
    const call = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": path });
        let body = "";
        stream.on("data", (c: Buffer) => {
          body += c.toString();
        });
        stream.on("end", () => resolve(body));
        stream.on("error", reject);
        stream.end("abc");
      });
    const bodies = await Promise.all([call("/x"), call("/y")]);
    session.close();
    expect(bodies).toEqual(["HTTP/2.0 POST /x 3", "HTTP/2.0 POST /y 3"]);
  });

  it("recognizes the HTTP/2 preface and an HTTP/1 request line split across segments", async () => {
    // Sends `parts` as separate segments; resolves what came back once `complete` holds.
    const exchange = async (parts: string[], complete: (received: string) => boolean) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.setNoDelay(true);
      await once(socket, "connect");
      for (const part of parts) {
        socket.write(part);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      let received = "";
      socket.on("data", (c: Buffer) => {
        received += c.toString("latin1");
      });
      await vi.waitFor(() => expect(complete(received)).toBe(true), { timeout: 5_000 });
      socket.destroy();
      return received;
    };
    // An HTTP/1 request whose first segment is "P" (a prefix of the preface too).
    expect(
      await exchange(["P", "OST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"], (r) =>
        r.includes("POST /split"),
      ),
    ).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 POST \/split 0$/);
    // The preface in three segments: the server answers with an HTTP/2 SETTINGS frame
    // (type 0x04 in the fourth byte of the frame header), not with HTTP/1 text.
    const settings = await exchange(
      ["PRI * HTTP/2.0\r\n", "\r\nSM\r", "\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"],
      (r) => r.length >= 9,
    );
    expect(settings.charCodeAt(3)).toBe(0x04);
    expect(settings).not.toContain("HTTP/1.1");
  });

  it("drops a connection that sends nothing within the headers timeout", async () => {
    const previous = server.headersTimeout;
    server.headersTimeout = 200;
    try {
      const socket = tcpConnect(port, "127.0.0.1");
      const started = Date.now();
      await once(socket, "close");
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      server.headersTimeout = previous;
    }
  });
});
