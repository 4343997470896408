// The differences between two configurations as a flat list of {path, before, after}: the
// configuration history's diff between two versions. Pure: works on JSON values (protobuf JSON
// with proto field names, unset fields absent), so it knows nothing of the schema.
//
// Objects are walked key by key and give dotted paths (`ipv6_security.ra_guard.enabled`);
// lists are compared whole and reported at the list's path (their order matters, and an item
// index would be no stable name: one address inserted first would shift every later path).

export type ConfigJson = null | boolean | number | string | ConfigJson[] | ConfigJsonObject;
export interface ConfigJsonObject {
  [key: string]: ConfigJson;
}

export interface ConfigChange {
  /** Dotted path of the changed value, from the configuration's root. */
  path: string;
  /** The value before; undefined when the path did not exist (added). */
  before?: ConfigJson;
  /** The value after; undefined when the path no longer exists (removed). */
  after?: ConfigJson;
}

function isObject(value: unknown): value is ConfigJsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Canonical text of a value: object keys sorted, so key order never counts as a change. */
function canonical(value: ConfigJson | undefined): string {
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

function walk(
  path: string,
  before: ConfigJson | undefined,
  after: ConfigJson | undefined,
  out: ConfigChange[],
): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys)
      walk(path === "" ? key : `${path}.${key}`, before[key], after[key], out);
    return;
  }
  // An object appearing or disappearing is reported leaf by leaf, so a path always names the
  // same kind of value whichever version holds it.
  if (isObject(before) && after === undefined) {
    walk(path, before, {}, out);
    return;
  }
  if (before === undefined && isObject(after)) {
    walk(path, {}, after, out);
    return;
  }
  if (canonical(before) === canonical(after)) return;
  const change: ConfigChange = { path };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  out.push(change);
}

/**
 * What changed from `before` to `after`, sorted by path. An empty object and an absent one
 * are the same (protobuf JSON leaves empty messages out).
 */
export function diffConfigs(before: unknown, after: unknown): ConfigChange[] {
  const out: ConfigChange[] = [];
  walk("", (before ?? {}) as ConfigJson, (after ?? {}) as ConfigJson, out);
  return out;
}
