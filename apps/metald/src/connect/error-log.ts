// Logs every Connect call that fails with a server-side code, with its cause: the caller sees
// a clean message, the operator the whole error.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";

const SERVER_SIDE = new Set([Code.Internal, Code.Unknown, Code.Unavailable, Code.DataLoss]);

export function createErrorLog(logger: FastifyBaseLogger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (error) {
      // Anything not already a ConnectError is answered as internal by the handler adapter.
      const code = error instanceof ConnectError ? error.code : Code.Internal;
      if (SERVER_SIDE.has(code))
        logger.error({ err: error, procedure: req.url, code: Code[code] }, "request failed");
      throw error;
    }
  };
}
