// Fills `${NAME}` references in a parsed YAML document's string values from the environment.
import { type Document, isMap, isPair, isScalar, isSeq, type Node } from "yaml";

export type ConfigPath = (string | number)[];

/** One string value that had references; callers keep the values out of error text. */
export interface EnvSubstitution {
  path: ConfigPath;
  /** As written, e.g. "Bearer ${TOKEN}". */
  original: string;
  /** After substitution: may hold a secret. */
  value: string;
  /** Each variable's value as put in. */
  inserted: { name: string; value: string }[];
}

export interface EnvProblem {
  path: ConfigPath;
  node: Node;
  message: string;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// "$${" is an escaped, literal "${".
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;

/**
 * Replaces each `${NAME}` in string scalars (not in keys) with env[NAME], in place. The result
 * stays a string: "${PORT}" does not become a number, so types never depend on the environment.
 */
export function substituteEnv(
  doc: Document,
  env: Readonly<Record<string, string | undefined>>,
): { substitutions: EnvSubstitution[]; problems: EnvProblem[] } {
  const substitutions: EnvSubstitution[] = [];
  const problems: EnvProblem[] = [];

  const visit = (node: unknown, path: ConfigPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        visit(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === "string" && node.value.includes("${")) {
      const original = node.value;
      const inserted: EnvSubstitution["inserted"] = [];
      const value = original.replace(REFERENCE, (match, name: string | undefined) => {
        if (name === undefined) return "${";
        if (!VARIABLE_NAME.test(name)) {
          const message = `${JSON.stringify(match)} is not a variable reference; names are letters, digits and '_'`;
          problems.push({ path, node, message });
          return match;
        }
        const found = env[name];
        if (found === undefined) {
          problems.push({ path, node, message: `environment variable ${name} is not set` });
          return match;
        }
        inserted.push({ name, value: found });
        return found;
      });
      node.value = value;
      if (inserted.length > 0) substitutions.push({ path, original, value, inserted });
    }
  };

  visit(doc.contents, []);
  return { substitutions, problems };
}
