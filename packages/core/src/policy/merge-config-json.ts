// Partial updates of stored configurations: the patch's fields replace the stored ones,
// nested objects merge, lists replace whole. Works on protobuf JSON (unset fields absent).

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function mergeConfigJson(base: unknown, patch: unknown): Json {
  if (!isObject(base) || !isObject(patch)) return (patch ?? base) as Json;
  const out: { [key: string]: Json } = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = isObject(value) && isObject(out[key]) ? mergeConfigJson(out[key], value) : value;
  }
  return out;
}
