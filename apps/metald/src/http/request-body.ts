// A REST body as a JSON object. Bodies arrive parsed whatever their Content-Type (the server
// parses form-encoded and text bodies as JSON, as curl -d sends them), so only the shape is left
// to check here.
import { FieldError } from "@metald/core";

export function jsonObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body))
    throw new FieldError("body", "must be a JSON object");
  return body as Record<string, unknown>;
}

/** Refuses keys outside `known`, naming them and what is allowed. */
export function onlyKnownFields(body: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(body))
    if (!known.includes(key))
      throw new FieldError(key, `unknown field (known: ${known.join(", ")})`);
}
