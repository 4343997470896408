// HTTP/2 sessions of the API server: closed after a while without traffic (as Fastify does for
// its own HTTP/2 servers), and all of them closed gracefully when the server shuts down.
import type { IncomingMessage, ServerResponse } from "node:http";
import type {
  Http2SecureServer,
  Http2Server,
  Http2ServerRequest,
  Http2ServerResponse,
  Http2Session,
} from "node:http2";

/** One handler for both protocols: Node's HTTP/2 compatibility API has the HTTP/1 shape. */
export type ApiRequestHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

/** Fastify's HTTP/2 session timeout default. */
const SESSION_IDLE_MS = 72_000;

/**
 * Tracks the server's sessions; the returned function closes them (open streams finish first).
 * Fastify calls it as `server.closeHttp2Sessions()` when it closes.
 */
export function manageHttp2Sessions(server: Http2Server | Http2SecureServer): () => void {
  const sessions = new Set<Http2Session>();
  server.on("session", (session: Http2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.setTimeout(SESSION_IDLE_MS, () => session.close());
  });
  return () => {
    for (const session of sessions) session.close();
  };
}
