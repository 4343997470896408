// The one way the console reaches metald: the generated Connect clients over this transport.
// Every call carries the session's token as `Authorization: Bearer`, read at call time so that
// signing in or out needs no new transport. The protocol is gRPC-web (binary), which metald
// serves next to Connect: every answer is HTTP 200 with its status in the trailers, so an
// expected refusal (a field's validation error, another tenant's VM as not_found) is not a
// failed resource load in the browser's console. Only refusals before the API (a missing or
// revoked token) are HTTP errors.
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

export interface MetaldTransportOptions {
  /** Default: the page's own origin (metald serves the console). */
  baseUrl?: string;
  token: () => string | undefined;
}

export function bearerInterceptor(token: () => string | undefined): Interceptor {
  return (next) => async (req) => {
    const value = token();
    if (value !== undefined) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

export function createMetaldTransport(options: MetaldTransportOptions): Transport {
  return createGrpcWebTransport({
    baseUrl: options.baseUrl ?? window.location.origin,
    interceptors: [bearerInterceptor(options.token)],
  });
}
