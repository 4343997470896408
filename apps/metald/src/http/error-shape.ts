// Every error metald answers has one shape, {code, message}, as Connect's: unknown paths (404),
// known paths with another method (405 with Allow), and errors Fastify itself raises (a body
// that is not JSON, a body too large). Answers of 500 and above are logged with their cause.
import type { FastifyError, FastifyInstance } from "fastify";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const CODES: Record<number, string> = {
  400: "invalid_argument",
  401: "unauthenticated",
  403: "permission_denied",
  404: "not_found",
  405: "method_not_allowed",
  409: "already_exists",
  413: "resource_exhausted",
  415: "invalid_argument",
  429: "resource_exhausted",
  503: "unavailable",
};

export function registerErrorShape(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    // The console's catch-all GET (a wildcard) does not make a path known.
    const allowed = METHODS.filter((method) => {
      const route = app.findRoute({ method, url: path });
      return route !== null && !("*" in route.params);
    });
    if (allowed.length > 0)
      return reply
        .code(405)
        .header("allow", allowed.join(", "))
        .send({
          code: "method_not_allowed",
          message: `${req.method} ${path} is not allowed; use ${allowed.join(", ")}`,
        });
    return reply.code(404).send({ code: "not_found", message: `no route ${req.method} ${path}` });
  });
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) req.log.error({ err: error }, "request failed");
    return reply.code(status).send({
      code: CODES[status] ?? (status >= 500 ? "internal" : "invalid_argument"),
      message: status >= 500 ? "internal error (logged by the server)" : error.message,
    });
  });
}
