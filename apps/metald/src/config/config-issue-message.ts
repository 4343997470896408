// Host-configuration problems in the words of the YAML author, with "did you mean" hints.
import { z } from "zod";
import { HostConfigSchema } from "./host-config-schema.js";
import { showValue } from "./show-value.js";

const EXPECTED: Record<string, string> = {
  object: "a mapping",
  record: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  boolean: "true or false",
};

/** Error map for parsing a host configuration; undefined leaves zod's own message. */
export function configIssueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  // Only a missing key reaches a schema with no input at all.
  if (iss.input === undefined && iss.code !== "unrecognized_keys") return "is required";
  switch (iss.code) {
    case "invalid_type":
      return `must be ${EXPECTED[iss.expected] ?? iss.expected}, got ${showValue(iss.input)}`;
    case "invalid_value": {
      const { input } = iss;
      // Enums are case-sensitive as the guide writes them; a case slip gets pointed out.
      const sameLetters = iss.values.find(
        (v) =>
          typeof v === "string" &&
          typeof input === "string" &&
          v.toLowerCase() === input.toLowerCase(),
      );
      const hint =
        sameLetters === undefined ? "" : `; did you mean ${JSON.stringify(sameLetters)}?`;
      const values = iss.values.map((v) => JSON.stringify(v)).join(", ");
      return `must be one of ${values} (got ${showValue(input)})${hint}`;
    }
    case "invalid_key":
      return iss.issues[0]?.message;
    case "too_big":
      return iss.origin === "array" ? `has too many entries; at most ${iss.maximum}` : undefined;
    default:
      return undefined;
  }
}

/** The message for one key that the mapping at `path` does not define. */
export function unknownKeyMessage(path: readonly PropertyKey[], key: string): string {
  const known = knownKeysAt(path);
  const guess = closestKey(key, known);
  if (guess !== undefined) return `unknown key ${JSON.stringify(key)}; did you mean "${guess}"?`;
  const allowed = known.length > 0 && known.length <= 10 ? ` (allowed: ${known.join(", ")})` : "";
  return `unknown key ${JSON.stringify(key)}${allowed}`;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/** The keys the schema defines for the mapping at `path` (empty if it is not a fixed mapping). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType | undefined = HostConfigSchema;
  for (const segment of path) {
    const current: z.ZodType = unwrap(schema);
    if (current instanceof z.ZodObject) {
      schema = (current.shape as Record<string, z.ZodType | undefined>)[String(segment)];
    } else if (current instanceof z.ZodRecord) {
      schema = current.valueType as z.ZodType;
    } else if (current instanceof z.ZodArray) {
      schema = current.element as z.ZodType;
    } else {
      schema = undefined;
    }
    if (schema === undefined) return [];
  }
  const target = unwrap(schema);
  return target instanceof z.ZodObject ? Object.keys(target.shape) : [];
}

/** The known key a typo most likely meant: a few edits away, or the same up to case. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(key.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
