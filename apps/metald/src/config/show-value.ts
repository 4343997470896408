// How an error message shows a configuration value.

/** A value as an error may show it: short, and never the whole of a long string. */
export function showValue(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (typeof input !== "string") return String(input);
  return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
}
