// IPv6 host hardening sysctls: renders metald's sysctl.d file, applies it and reports drift.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { linuxNameProblem } from "../net/linux-name.js";
import { type CommandRunner, createCommandRunner } from "./command-runner.js";

/**
 * Where a setting lives. "netns": every network namespace has its own copy (net.ipv6.conf.*).
 * "host": one value for the whole machine; the IPv6 neighbour table is shared by all
 * namespaces, so net.ipv6.neigh.default.gc_thresh* exists only in the initial namespace.
 */
export type SysctlScope = "netns" | "host";

export interface HardeningSysctl {
  key: string;
  value: string;
  /** Rendered as the comment above the setting's group in the conf file. */
  why: string;
  scope: SysctlScope;
}

export const DEFAULT_SYSCTL_CONF_PATH = "/etc/sysctl.d/99-metald-ipv6-security.conf";
export const DEFAULT_PROC_ROOT = "/proc/sys";

// Order and comments follow the host hardening section of the design document. Only "all" and
// "default" are set: an interface that exists when the values are applied keeps its own
// accept_ra/accept_redirects (systemd-sysctl applies the file early at boot, before most exist).
export const HARDENING_SYSCTLS: readonly HardeningSysctl[] = [
  ...both("accept_ra", "0", "Disable IPv6 router advertisements acceptance"),
  ...both("accept_redirects", "0", "Disable IPv6 redirects"),
  ...both("accept_source_route", "0", "Enable IPv6 source route filtering"),
  ...both("use_tempaddr", "2", "Enable IPv6 privacy extensions for temporary addresses"),
  ...[1024, 2048, 4096].map(
    (value, i): HardeningSysctl => ({
      key: `net.ipv6.neigh.default.gc_thresh${i + 1}`,
      value: String(value),
      why: "Increase IPv6 neighbor cache size for performance",
      scope: "host",
    }),
  ),
];

function both(name: string, value: string, why: string): HardeningSysctl[] {
  return ["all", "default"].map((conf) => ({
    key: `net.ipv6.conf.${conf}.${name}`,
    value,
    why,
    scope: "netns",
  }));
}

const HEADER = "# metald IPv6 host hardening. Managed by metald: local changes are overwritten.";

/** The conf file's content: one commented group per reason, ending in a newline. */
export function renderHardeningConf(): string {
  const lines = [HEADER];
  let why: string | undefined;
  for (const setting of HARDENING_SYSCTLS) {
    if (setting.why !== why) {
      why = setting.why;
      lines.push("", `# ${why}`);
    }
    lines.push(`${setting.key} = ${setting.value}`);
  }
  return `${lines.join("\n")}\n`;
}

export class SysctlConfError extends Error {
  override name = "SysctlConfError";
}

export interface SysctlConfEntry {
  key: string;
  value: string;
  /** 1-based line number. */
  line: number;
}

/**
 * Parses sysctl.conf text (also `sysctl` output): `key = value` lines; blank lines and lines
 * starting with '#' or ';' are ignored. A leading '-' (systemd's "ignore if missing") is dropped.
 * Entries come in file order; when a key repeats, the last one wins, as with `sysctl -p`.
 */
export function parseSysctlConf(text: string): SysctlConfEntry[] {
  const entries: SysctlConfEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) return;
    const eq = line.indexOf("=");
    const key = (eq < 0 ? "" : line.slice(0, eq)).trim().replace(/^-/, "");
    if (key === "") throw new SysctlConfError(`line ${i + 1}: expected "key = value": ${line}`);
    entries.push({ key, value: normalizeValue(line.slice(eq + 1)), line: i + 1 });
  });
  return entries;
}

// The kernel separates multi-value settings with tabs; files use spaces.
const normalizeValue = (value: string) => value.trim().replace(/\s+/g, " ");

/** The conf file's filesystem; the default is node:fs. */
export interface ConfFs {
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Replaces the file atomically: readers see the old or the new content, never a mix. */
  writeFile(path: string, content: string): Promise<void>;
  /** Creates the directory and its parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
}

const isNotFound = (error: unknown) => (error as NodeJS.ErrnoException).code === "ENOENT";

export function createNodeConfFs(): ConfFs {
  return {
    async readFile(path) {
      try {
        return await readFile(path, "utf8");
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async writeFile(path, content) {
      // Temp file in the same directory (rename is atomic only within a filesystem), synced
      // before the rename so a crash cannot leave an empty file behind.
      const temp = join(dirname(path), `.${randomBytes(6).toString("hex")}.tmp`);
      try {
        const handle = await open(temp, "wx", 0o644);
        try {
          await handle.writeFile(content, "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
    async mkdir(path) {
      await mkdir(path, { recursive: true });
    },
  };
}

export interface SysctlHardeningOptions {
  /** Default /etc/sysctl.d/99-metald-ipv6-security.conf. */
  confPath?: string;
  /** Where the kernel's sysctls are read and written without a namespace (default /proc/sys). */
  procRoot?: string;
  fs?: ConfFs;
  /** Runs `ip netns exec NS sysctl`; only used with `namespace`. */
  runner?: CommandRunner;
  /**
   * Apply and verify inside this network namespace instead of the current one. Host-wide
   * settings (scope "host") are then skipped: they are not visible there.
   */
  namespace?: string;
}

export interface SysctlChange {
  key: string;
  /** The kernel's value before; null when the key did not exist. */
  from: string | null;
  to: string;
}

export interface HardenResult {
  fileChanged: boolean;
  /** The values that were changed in the kernel (already-correct ones are not written). */
  applied: SysctlChange[];
  /** Keys not applied because they are host-wide and a namespace was given. */
  skipped: string[];
}

export interface SysctlFailure {
  key: string;
  value: string;
  /** The key does not exist in the kernel (IPv6 disabled, or a kernel without it). */
  missing: boolean;
  error: unknown;
}

/** Some values could not be set; `result` holds what was done, the rest were still tried. */
export class SysctlHardeningError extends Error {
  override name = "SysctlHardeningError";
  constructor(
    readonly result: HardenResult,
    readonly failures: SysctlFailure[],
    namespace: string | undefined,
  ) {
    const where = namespace === undefined ? "" : ` in namespace ${namespace}`;
    const list = failures.map((f) => {
      const reason = f.missing ? "the key does not exist" : String(f.error);
      return `${f.key}=${f.value} (${reason})`;
    });
    super(`could not set${where}: ${list.join("; ")}`, { cause: failures[0]?.error });
  }
}

export interface SysctlDrift {
  key: string;
  /** null: the key is in the conf file but is not one of metald's settings. */
  expected: string | null;
  /** The kernel's value; null when the key does not exist there, is skipped, or is not ours. */
  actual: string | null;
  /** Whether the conf file sets the key to `expected`. */
  inFile: boolean;
}

export interface SysctlHardening {
  readonly confPath: string;
  readonly namespace: string | undefined;
  /** Writes the conf file if its content differs, then sets every value that differs. */
  harden(): Promise<HardenResult>;
  /** What differs, in HARDENING_SYSCTLS order then foreign keys in the file; [] when nothing. */
  verify(): Promise<SysctlDrift[]>;
}

export function createSysctlHardening(options: SysctlHardeningOptions = {}): SysctlHardening {
  const confPath = options.confPath ?? DEFAULT_SYSCTL_CONF_PATH;
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const fs = options.fs ?? createNodeConfFs();
  const { namespace } = options;
  if (namespace !== undefined) {
    const problem = linuxNameProblem(namespace);
    if (problem) throw new Error(`namespace name ${JSON.stringify(namespace)} ${problem}`);
  }
  const runner = namespace === undefined ? undefined : (options.runner ?? createCommandRunner());
  const settings = HARDENING_SYSCTLS.filter((s) => namespace === undefined || s.scope === "netns");
  const skipped = HARDENING_SYSCTLS.filter((s) => !settings.includes(s)).map((s) => s.key);
  const rendered = renderHardeningConf();

  // Without a namespace the values go straight through /proc/sys: no extra binary, and a fake
  // directory stands in for it in tests. /proc/sys/net always shows the reading process's own
  // namespace, so another namespace is reached with `ip netns exec NS sysctl`.
  const procPath = (key: string) => join(procRoot, ...key.split("."));

  async function readKernel(keys: string[]): Promise<Map<string, string>> {
    const values = new Map<string, string>();
    if (runner && namespace !== undefined) {
      // -e: a missing key is left out of the output instead of failing the whole read.
      const out = await runner.run("ip", ["netns", "exec", namespace, "sysctl", "-e", ...keys]);
      for (const entry of parseSysctlConf(out)) values.set(entry.key, entry.value);
      return values;
    }
    for (const key of keys) {
      try {
        values.set(key, normalizeValue(await readFile(procPath(key), "utf8")));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return values;
  }

  async function writeKernel(key: string, value: string): Promise<void> {
    if (runner && namespace !== undefined) {
      await runner.run("ip", ["netns", "exec", namespace, "sysctl", "-q", "-w", `${key}=${value}`]);
      return;
    }
    // No O_CREAT: a missing key is an error, as in the kernel, never a new file.
    await writeFile(procPath(key), `${value}\n`, { flag: constants.O_WRONLY | constants.O_TRUNC });
  }

  // The conf file's text (undefined when missing) and the values it sets (none when malformed).
  async function readConf(): Promise<{ text: string | undefined; values: Map<string, string> }> {
    const text = await fs.readFile(confPath);
    let entries: SysctlConfEntry[] = [];
    try {
      entries = text === undefined ? [] : parseSysctlConf(text);
    } catch (error) {
      // A malformed file is drift like any other: harden() replaces it.
      if (!(error instanceof SysctlConfError)) throw error;
    }
    return { text, values: new Map(entries.map((e) => [e.key, e.value])) };
  }

  return {
    confPath,
    namespace,
    async harden() {
      const { text } = await readConf();
      const fileChanged = text !== rendered;
      if (fileChanged) {
        await fs.mkdir(dirname(confPath));
        await fs.writeFile(confPath, rendered);
      }
      const current = await readKernel(settings.map((s) => s.key));
      const applied: SysctlChange[] = [];
      const failures: SysctlFailure[] = [];
      // One failing key does not stop the others: a partly hardened host beats an unhardened one.
      for (const { key, value } of settings) {
        const from = current.get(key) ?? null;
        if (from === value) continue;
        try {
          await writeKernel(key, value);
          applied.push({ key, from, to: value });
        } catch (error) {
          failures.push({ key, value, missing: from === null, error });
        }
      }
      const result = { fileChanged, applied, skipped };
      if (failures.length > 0) throw new SysctlHardeningError(result, failures, namespace);
      return result;
    },
    async verify() {
      const conf = await readConf();
      const actual = await readKernel(settings.map((s) => s.key));
      const drift: SysctlDrift[] = [];
      for (const setting of HARDENING_SYSCTLS) {
        const inFile = conf.values.get(setting.key) === setting.value;
        const checked = settings.includes(setting);
        const value = checked ? (actual.get(setting.key) ?? null) : null;
        if (!inFile || (checked && value !== setting.value)) {
          drift.push({ key: setting.key, expected: setting.value, actual: value, inFile });
        }
      }
      // Anything else in metald's file would be applied at boot along with the hardening.
      const ours = new Set(HARDENING_SYSCTLS.map((s) => s.key));
      for (const key of conf.values.keys()) {
        if (!ours.has(key)) drift.push({ key, expected: null, actual: null, inFile: true });
      }
      return drift;
    },
  };
}
