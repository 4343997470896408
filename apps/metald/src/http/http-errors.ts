// Domain errors → HTTP status and a JSON body ({code, message}) for the REST and /debug routes.
import { Code } from "@connectrpc/connect";
import type { FastifyReply } from "fastify";
import { toConnectError } from "../connect/to-connect-error.js";

const STATUS: Partial<Record<Code, [number, string]>> = {
  [Code.InvalidArgument]: [400, "invalid_argument"],
  [Code.PermissionDenied]: [403, "permission_denied"],
  [Code.NotFound]: [404, "not_found"],
  [Code.AlreadyExists]: [409, "already_exists"],
  [Code.FailedPrecondition]: [409, "failed_precondition"],
  [Code.Aborted]: [409, "aborted"],
  [Code.ResourceExhausted]: [429, "resource_exhausted"],
  [Code.Unimplemented]: [501, "unimplemented"],
  [Code.Unavailable]: [503, "unavailable"],
};

export function sendError(reply: FastifyReply, error: unknown) {
  const connectError = toConnectError(error);
  const [status, code] = STATUS[connectError.code] ?? [500, "internal"];
  if (status >= 500) reply.log.error({ err: error }, "request failed");
  return reply.code(status).send({ code, message: connectError.rawMessage });
}

export function sendNotFound(reply: FastifyReply, what: string) {
  return reply.code(404).send({ code: "not_found", message: `${what} not found` });
}
