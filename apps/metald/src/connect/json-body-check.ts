// Reads Connect JSON request bodies before the Connect handler does, so that a body that does
// not fit its message schema is refused with the path of the offending field. The parsed
// body is handed on to Connect (it does not read the stream again).

import type { DescMessage, DescService, JsonValue } from "@bufbuild/protobuf";
import type { FastifyReply, FastifyRequest } from "fastify";
import { findJsonFieldError } from "./json-field-error.js";

const MAX_BODY_BYTES = 1024 * 1024;

export function inputSchemasByPath(services: readonly DescService[]): Map<string, DescMessage> {
  const byPath = new Map<string, DescMessage>();
  for (const service of services) {
    for (const method of service.methods) {
      if (method.methodKind === "unary")
        byPath.set(`/${service.typeName}/${method.name}`, method.input);
    }
  }
  return byPath;
}

async function readBody(req: FastifyRequest): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.raw) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function refuse(reply: FastifyReply, message: string, code = "invalid_argument", status = 400) {
  return reply.code(status).header("content-type", "application/json").send({ code, message });
}

export function createJsonBodyCheck(schemas: Map<string, DescMessage>) {
  return async function checkJsonBody(req: FastifyRequest, reply: FastifyReply) {
    if (
      req.method !== "POST" ||
      req.headers["content-type"]?.split(";")[0]?.trim() !== "application/json"
    )
      return;
    if (
      req.headers["content-encoding"] !== undefined &&
      req.headers["content-encoding"] !== "identity"
    )
      return;
    const schema = schemas.get(req.url.split("?")[0] ?? "");
    if (!schema) return;
    const body = await readBody(req);
    if (body === "too-large")
      return refuse(
        reply,
        `request body exceeds ${MAX_BODY_BYTES} bytes`,
        "resource_exhausted",
        429,
      );
    let json: JsonValue;
    try {
      json = body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as JsonValue);
    } catch (error) {
      return refuse(reply, `request body is not valid JSON: ${(error as Error).message}`);
    }
    // The walk finds what protobuf's JSON decoding would refuse, with the path; anything it
    // lets through that decoding still refuses comes back from Connect as invalid_argument.
    const problem = findJsonFieldError(schema, json);
    if (problem) return refuse(reply, problem);
    req.body = json;
    return undefined;
  };
}
