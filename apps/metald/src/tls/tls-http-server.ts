// The API over TLS: HTTP/2 and HTTP/1.1 on one port, chosen by ALPN (h2, http/1.1), TLS 1.2 or
// newer (1.3 when asked for).
import { createSecureServer, type Http2SecureServer } from "node:http2";
import { type ApiRequestHandler, manageHttp2Sessions } from "../http/http2-sessions.js";
import type { TlsCredentials } from "./tls-credentials.js";

export interface TlsHttpServer extends Http2SecureServer {
  closeHttp2Sessions(): void;
}

export function createTlsHttpServer(
  handler: ApiRequestHandler,
  credentials: TlsCredentials,
): TlsHttpServer {
  const server = createSecureServer(
    {
      cert: credentials.cert,
      key: credentials.key,
      minVersion: credentials.minVersion,
      // Clients without ALPN, or offering only http/1.1, get HTTP/1.1.
      allowHTTP1: true,
    },
    handler,
  );
  return Object.assign(server, { closeHttp2Sessions: manageHttp2Sessions(server) });
}
