// Connect answers a procedure called with the wrong HTTP method with a bare 405; this check
// answers first, in the {code, message} shape of every other error and with Allow: POST, plus
// GET for procedures without side effects (Connect's GET form).
import type { DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { FastifyReply, FastifyRequest } from "fastify";

export function allowedMethodsByPath(services: readonly DescService[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const service of services) {
    for (const method of service.methods) {
      const safe = method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
      byPath.set(`/${service.typeName}/${method.name}`, safe ? ["GET", "POST"] : ["POST"]);
    }
  }
  return byPath;
}

export function createMethodCheck(allowed: Map<string, string[]>) {
  return async function checkMethod(req: FastifyRequest, reply: FastifyReply) {
    const path = req.url.split("?")[0] ?? "";
    const methods = allowed.get(path);
    if (!methods || methods.includes(req.method)) return undefined;
    return reply
      .code(405)
      .header("allow", methods.join(", "))
      .send({
        code: "method_not_allowed",
        message: `${req.method} ${path} is not allowed; use ${methods.join(", ")}`,
      });
  };
}
