// Refuses text the database and SIEM formats cannot carry, whatever the encoding (JSON or
// binary): a NUL character in any string field, or a string longer than its field's limit.
// The first offending field is named by its path, as the JSON form spells it.

import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/** Characters a string field may hold unless listed below. */
export const DEFAULT_TEXT_LIMIT = 1024;

/** Longer limits for fields whose values are longer by nature. */
const TEXT_LIMITS: Readonly<Record<string, number>> = {
  // x86-64 Linux's COMMAND_LINE_SIZE.
  kernel_args: 2048,
  // PATH_MAX.
  kernel_path: 4096,
  initrd_path: 4096,
  path: 4096,
};

function textProblem(field: DescField, text: string, path: string): string | undefined {
  const nul = text.indexOf("\u0000");
  if (nul >= 0) return `${path}: contains a NUL character (at position ${nul})`;
  const limit = TEXT_LIMITS[field.name] ?? DEFAULT_TEXT_LIMIT;
  if (text.length > limit) return `${path}: ${text.length} characters; at most ${limit}`;
  return undefined;
}

function itemProblem(
  field: DescField,
  kind: "scalar" | "enum" | "message",
  value: unknown,
  path: string,
): string | undefined {
  if (kind === "message" && field.message && typeof value === "object" && value !== null)
    return findTextFieldProblem(field.message, value as Record<string, unknown>, path);
  if (kind === "scalar" && field.scalar === ScalarType.STRING && typeof value === "string")
    return textProblem(field, value, path);
  return undefined;
}

/** "<path>: <problem>" for the first string field that cannot be stored, else undefined. */
export function findTextFieldProblem(
  schema: DescMessage,
  message: Record<string, unknown>,
  path = "",
): string | undefined {
  for (const field of schema.fields) {
    const fieldPath = path === "" ? field.name : `${path}.${field.name}`;
    let value: unknown;
    if (field.oneof) {
      const group = message[field.oneof.localName] as { case?: string; value?: unknown };
      if (group?.case !== field.localName) continue;
      value = group.value;
    } else {
      value = message[field.localName];
    }
    if (value === undefined || value === null) continue;
    let problem: string | undefined;
    if (field.fieldKind === "list") {
      for (const [i, item] of (value as unknown[]).entries()) {
        problem = itemProblem(field, field.listKind, item, `${fieldPath}[${i}]`);
        if (problem) break;
      }
    } else if (field.fieldKind === "map") {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        problem =
          textProblem(field, key, `${fieldPath} key`) ??
          itemProblem(field, field.mapKind, item, `${fieldPath}[${JSON.stringify(key)}]`);
        if (problem) break;
      }
    } else {
      problem = itemProblem(field, field.fieldKind, value, fieldPath);
    }
    if (problem) return problem;
  }
  return undefined;
}

/** Checks every unary request before its handler runs. */
export const textFieldCheck: Interceptor = (next) => async (req) => {
  if (!req.stream) {
    const problem = findTextFieldProblem(
      req.method.input,
      req.message as unknown as Record<string, unknown>,
    );
    if (problem) throw new ConnectError(problem, Code.InvalidArgument);
  }
  return next(req);
};
