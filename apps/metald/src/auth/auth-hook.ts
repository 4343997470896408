// Authenticates every request but /health and the console's files (the metrics port has no API
// on it) and applies the access rules; refusals are JSON {code, message}, as Connect and the
// REST routes answer.
import type { TokenRepository } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { isConsoleRequest } from "../http/console-files.js";
import { accessFor } from "./access-rules.js";
import { AuthError, type AuthMode, authenticate, type Principal } from "./principal.js";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export interface AuthOptions {
  mode: AuthMode;
  tokens: TokenRepository;
  /** Told of each refused credential (for security events and metrics). */
  onFailure?: (failure: { reason: string; path: string; remote: string }) => void;
}

export function registerAuth(app: FastifyInstance, o: AuthOptions): void {
  app.decorateRequest("principal", undefined);
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (path === "/health" || isConsoleRequest(req)) return;
    try {
      req.principal = await authenticate(req.headers.authorization, o.mode, o.tokens);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      o.onFailure?.({ reason: error.message, path, remote: req.ip });
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metald"')
        .send({ code: "unauthenticated", message: error.message });
    }
    if (accessFor(req.method, path, req.principal) === "forbidden")
      return reply.code(403).send({
        code: "permission_denied",
        message: `a ${req.principal.kind} token may not use ${req.method} ${path}`,
      });
  });
}
