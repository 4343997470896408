// Reads the host configuration: YAML, then ${ENV} substitution, then the schema; every problem
// is reported with its YAML path and the line it is on.
import { readFile } from "node:fs/promises";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
} from "yaml";
import { configIssueMessage, unknownKeyMessage } from "./config-issue-message.js";
import { type HostConfig, HostConfigSchema } from "./host-config-schema.js";
import { showValue } from "./show-value.js";
import { type ConfigPath, type EnvSubstitution, substituteEnv } from "./substitute-env.js";

export interface ConfigError {
  /** YAML path, e.g. "metald.network.ipv6.customer_configs.acme.isolation.customer_vlan"; "" for the file. */
  path: string;
  /** 1-based; 0 when the problem is not on a line (the file could not be read). */
  line: number;
  message: string;
}

export type HostConfigResult = { config: HostConfig } | { errors: ConfigError[] };

export type ConfigEnv = Readonly<Record<string, string | undefined>>;

// Env values at least this long are kept out of every message, not only their own field's.
const SECRET_MIN_LENGTH = 8;

export function parseHostConfig(text: string, env: ConfigEnv): HostConfigResult {
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages quote source lines, which may hold secrets.
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true, prettyErrors: false });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  // Only the first syntax error: the parser's later ones are mostly its consequences.
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const line = lineAt(syntaxError.pos[0]);
    return { errors: [{ path: "", line, message: syntaxError.message }] };
  }
  if (doc.contents === null) {
    return { errors: [{ path: "", line: 1, message: 'is empty; expected a "metald:" mapping' }] };
  }

  const { substitutions, problems } = substituteEnv(doc, env);
  const errors: ConfigError[] = problems.map((p) => ({
    path: formatPath(p.path),
    line: p.node.range ? lineAt(p.node.range[0]) : lineOf(doc, p.path, lineAt),
    message: p.message,
  }));
  const parsed = HostConfigSchema.safeParse(doc.toJS(), { error: configIssueMessage });
  if (parsed.success && errors.length === 0) return { config: parsed.data };

  // A field whose variable is unset already has its error; the schema would only add noise.
  const unresolved = new Set(errors.map((e) => e.path));
  for (const issue of parsed.error?.issues ?? []) {
    const base = issue.path.map((s) => (typeof s === "number" ? s : String(s)));
    const found =
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => ({ path: [...base, key], message: unknownKeyMessage(base, key) }))
        : [{ path: base, message: issue.message }];
    for (const { path, message } of found) {
      const shown = formatPath(path);
      if (unresolved.has(shown)) continue;
      errors.push({
        path: shown,
        line: lineOf(doc, path, lineAt),
        message: redact(message, path, substitutions),
      });
    }
  }
  errors.sort((a, b) => a.line - b.line || a.path.localeCompare(b.path));
  return { errors };
}

/** Reads and checks a host configuration file; a file that cannot be read is one error. */
export async function loadHostConfigFile(path: string, env: ConfigEnv): Promise<HostConfigResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "is a directory, not a file"
            : (error as Error).message;
    return { errors: [{ path: "", line: 0, message: `cannot read the configuration: ${why}` }] };
  }
  return parseHostConfig(text, env);
}

/** One line per error: "/etc/metald/config.yaml:42: metald.network.ipv6.…: message". */
export function formatConfigErrors(file: string, errors: readonly ConfigError[]): string[] {
  return errors.map((e) => {
    const where = e.line > 0 ? `${file}:${e.line}` : file;
    return e.path === "" ? `${where}: ${e.message}` : `${where}: ${e.path}: ${e.message}`;
  });
}

/** "a.b[2].c"; a key that is not a plain word is quoted: customer_configs["acme.eu"]. */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((segment, i) => {
      if (typeof segment === "number") return `[${segment}]`;
      if (/^[A-Za-z0-9_-]+$/.test(segment)) return i === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join("");
}

/**
 * The line of the node at `path`: a mapping entry's key line, a list item's own line. A path
 * that does not exist (a missing key) gets the line of its nearest existing parent.
 */
function lineOf(doc: Document, path: ConfigPath, lineAt: (offset: number) => number): number {
  let node: unknown = doc.contents;
  let line = isNodeWithRange(node) ? lineAt(node.range[0]) : 1;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      if (isNodeWithRange(pair.key)) line = lineAt(pair.key.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item: unknown = node.items[segment];
      if (isNodeWithRange(item)) line = lineAt(item.range[0]);
      else break;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

function isNodeWithRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === "object" && node !== null && "range" in node && Array.isArray(node.range);
}

// An error about a substituted value shows the value as written ("${TOKEN}"), never as read.
function redact(message: string, path: ConfigPath, substitutions: readonly EnvSubstitution[]) {
  const here = formatPath(path);
  let text = message;
  for (const s of substitutions) {
    if (formatPath(s.path) === here) {
      text = replaceAll(text, showValue(s.value), showValue(s.original));
      text = replaceAll(text, s.value, s.original);
    }
    for (const { name, value } of s.inserted) {
      if (value.length >= SECRET_MIN_LENGTH) text = replaceAll(text, value, `\${${name}}`);
    }
  }
  return text;
}

function replaceAll(text: string, search: string, replacement: string): string {
  return search === "" ? text : text.split(search).join(replacement);
}
