// One byte-exact text per JSON value, so that a hash of it is the same whoever computes it:
// object keys sorted by UTF-16 code units, no whitespace, undefined members left out.
export type Canonical = string;

export function canonicalJson(value: unknown): Canonical {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // JSON has no NaN or Infinity; a record holding one would not survive the database.
      if (!Number.isFinite(value)) throw new TypeError(`cannot encode ${value} canonically`);
      return JSON.stringify(value);
    case "bigint":
      return JSON.stringify(value.toString());
    case "object": {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
    }
    default:
      throw new TypeError(`cannot encode a ${typeof value} canonically`);
  }
}
