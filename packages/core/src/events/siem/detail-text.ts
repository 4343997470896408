// Reads one event detail as text for SIEM fields.

/**
 * Details are free-form (counters, API payloads), so only strings and finite numbers are trusted
 * to mean what their key says; arrays, objects and inherited properties read as absent.
 */
export function detailText(details: Record<string, unknown>, key: string): string | null {
  if (!Object.hasOwn(details, key)) return null;
  const value = details[key];
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}
