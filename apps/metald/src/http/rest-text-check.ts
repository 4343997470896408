// REST and /debug bodies reach the database (jsonb) and SIEM records: a NUL character anywhere
// or a string beyond DEFAULT_TEXT_LIMIT is refused with the path of the value, before a handler
// runs. Connect bodies are checked against their schema by the text-field interceptor.
import type { FastifyInstance } from "fastify";
import { DEFAULT_TEXT_LIMIT } from "../connect/text-field-check.js";

/** Longest free text a REST body may carry in one value (paths and rules included). */
const REST_TEXT_LIMIT = 4 * DEFAULT_TEXT_LIMIT;

export function findJsonTextProblem(value: unknown, path: string): string | undefined {
  if (typeof value === "string") {
    const nul = value.indexOf("\u0000");
    if (nul >= 0) return `${path}: contains a NUL character (at position ${nul})`;
    if (value.length > REST_TEXT_LIMIT)
      return `${path}: ${value.length} characters; at most ${REST_TEXT_LIMIT}`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = findJsonTextProblem(item, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyPath = path === "" ? key : `${path}.${key}`;
      const problem =
        findJsonTextProblem(key, `${keyPath} (name)`) ?? findJsonTextProblem(item, keyPath);
      if (problem) return problem;
    }
  }
  return undefined;
}

export function registerRestTextCheck(app: FastifyInstance): void {
  app.addHook("preValidation", async (req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    if (!path.startsWith("/api/") && !path.startsWith("/debug/")) return;
    const problem = findJsonTextProblem(req.body, "") ?? findJsonTextProblem(req.query, "query");
    if (problem) return reply.code(400).send({ code: "invalid_argument", message: problem });
    return undefined;
  });
}
