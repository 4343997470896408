// One cleartext port for HTTP/1.1 (curl, browsers, the guides' commands) and HTTP/2 with prior
// knowledge (h2c: what gRPC clients speak without TLS).
//
// Node's http2.createServer speaks only HTTP/2 (its allowHTTP1 works only where ALPN chooses the
// protocol, i.e. over TLS), and an HTTP/1 server only HTTP/1. So each connection's first bytes
// decide: the HTTP/2 connection preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 §3.4)
// goes to an HTTP/2 server, anything else to the HTTP/1 server. The bytes read to decide are
// put back on the socket (Node hands bytes already buffered to a new HTTP/2 session).
//
// The HTTP/1 server stays the listening server, so everything Node ties to listening keeps
// working unchanged: headersTimeout/requestTimeout checks against slow clients and
// closeIdleConnections at shutdown. Only its connection listener moves behind the decision.
// The HTTP/2 server never listens: it is handed its sockets with emit("connection").
import { createServer as createHttp1Server, type Server } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import type { Socket } from "node:net";
import { type ApiRequestHandler, manageHttp2Sessions } from "./http2-sessions.js";

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface CleartextHttpServer extends Server {
  closeHttp2Sessions(): void;
}

/**
 * Reads until the first bytes either are the whole HTTP/2 preface or differ from it, then puts
 * them back and calls `route`. A client that sends nothing within `timeoutMs` is dropped.
 */
function routeByPreface(socket: Socket, timeoutMs: number, route: (http2: boolean) => void) {
  let seen: Buffer = Buffer.alloc(0);
  const drop = () => socket.destroy();
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const http2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (http2 && n < HTTP2_PREFACE.length) return;
    socket.off("data", onData);
    socket.off("end", drop);
    socket.off("error", drop);
    socket.off("timeout", drop);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    route(http2);
  };
  socket.setTimeout(timeoutMs);
  socket.on("timeout", drop);
  socket.on("error", drop);
  socket.on("end", drop);
  socket.on("data", onData);
}

export function createCleartextHttpServer(handler: ApiRequestHandler): CleartextHttpServer {
  const http1 = createHttp1Server(handler);
  const h2c = createHttp2Server(handler);
  const http1Connection = http1.listeners("connection");
  if (http1Connection.length !== 1 || typeof http1Connection[0] !== "function")
    throw new Error("node:http no longer handles connections with one listener; h2c needs review");
  const serveHttp1 = http1Connection[0] as (socket: Socket) => void;
  http1.removeAllListeners("connection");
  http1.on("connection", (socket: Socket) =>
    routeByPreface(socket, http1.headersTimeout, (http2) => {
      if (http2) {
        h2c.emit("connection", socket);
      } else {
        serveHttp1.call(http1, socket);
        socket.resume();
      }
    }),
  );
  return Object.assign(http1, { closeHttp2Sessions: manageHttp2Sessions(h2c) });
}
