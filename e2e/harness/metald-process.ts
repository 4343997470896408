// Starts the built metald server as a real process against PGlite in a temporary data directory
// or PostgreSQL in a schema of its own. The server binds port 0 for its API and its metrics and
// reports the ports the kernel chose in its "metald ready" log line: no port is picked here and
// then lost to another process before the server binds it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GUEST_MARKS_ROOT } from "@metald/core";
import { createPostgresSchema, POSTGRES_URL } from "./postgres-schema.js";

export { POSTGRES_URL };

const MAIN = fileURLToPath(new URL("../../apps/metald/dist/main.js", import.meta.url));

export type DatabaseKind = "pglite" | "postgres";

export interface MetaldProcess {
  readonly url: string;
  /** The Prometheus endpoint, http://127.0.0.1:PORT/metrics. */
  readonly metricsUrl: string;
  /** The server's process id (for its CPU time and memory in /proc). */
  readonly pid: number | undefined;
  /** The environment the server runs with (its data dir, database, driver, sandbox). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: string[];
  /** Stops the server (SIGTERM) and starts it again on the same database. */
  restart(): Promise<void>;
  /** Sends a signal to the server process. */
  signal(name: NodeJS.Signals): void;
  /** Kills the server with SIGKILL (no cleanup of any kind) and starts it again. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and removes its database. */
  destroy(): Promise<void>;
}

// A loaded machine (other suites on the same two cores) can need more: METALD_E2E_STARTUP_MS.
const STARTUP_TIMEOUT_MS = Number(process.env.METALD_E2E_STARTUP_MS ?? 30_000);

/** The addresses in the server's `{"msg":"metald ready","url":…,"metricsUrl":…}` line. */
function readyAddresses(line: string): { url: string; metricsUrl: string } | undefined {
  if (!line.includes('"metald ready"')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: unknown; metricsUrl?: unknown };
    if (entry.msg !== "metald ready") return undefined;
    if (typeof entry.url !== "string" || typeof entry.metricsUrl !== "string") return undefined;
    return { url: entry.url, metricsUrl: entry.metricsUrl };
  } catch {
    return undefined;
  }
}

async function launch(
  env: NodeJS.ProcessEnv,
  log: string[],
  args: string[] = [],
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; url: string; metricsUrl: string }> {
  const serve = [MAIN, "serve", "--listen", "127.0.0.1:0", ...args];
  const child = spawn(process.execPath, [...nodeArgs, ...serve], {
    env: {
      ...process.env,
      METALD_LOG_LEVEL: "info",
      METALD_METRICS_HOST: "127.0.0.1",
      METALD_METRICS_PORT: "0",
      METALD_EVENT_POLL_MS: "300",
      // The guides' curl commands carry no token: tests run in development mode unless they
      // test authentication itself.
      METALD_AUTH: "development",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const started = log.length;
  const since = () => log.slice(started).join("\n");
  const addresses = new Promise<{ url: string; metricsUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`metald did not report ready within ${STARTUP_TIMEOUT_MS} ms:\n${since()}`));
    }, STARTUP_TIMEOUT_MS);
    const collect = (line: string) => {
      log.push(line);
      const found = readyAddresses(line);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    // Whole lines only: a chunk may end in the middle of one.
    for (const stream of [child.stdout, child.stderr]) {
      let pending = "";
      stream?.on("data", (chunk: Buffer) => {
        const parts = (pending + chunk.toString("utf8")).split("\n");
        pending = parts.pop() ?? "";
        for (const line of parts) if (line !== "") collect(line);
      });
      stream?.on("end", () => {
        if (pending !== "") collect(pending);
        pending = "";
      });
    }
    child.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`metald exited with ${code} before it was ready:\n${since()}`));
    });
  });
  const { url, metricsUrl } = await addresses;
  const health = await fetch(`${url}/health`).catch((error: unknown) => error as Error);
  if (health instanceof Error || !health.ok) {
    child.kill("SIGKILL");
    const answer = health instanceof Error ? health.message : String(health.status);
    throw new Error(`metald reported ${url} but /health answered ${answer}:\n${since()}`);
  }
  return { child, url, metricsUrl };
}

function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

export interface StartOptions {
  /** Server log level (default info; benchmarks use warn so logging does not dominate). */
  logLevel?: string;
  /** Host driver (default dry-run); "sandbox" programs a namespace of its own (needs root). */
  driver?: "dry-run" | "sandbox";
  /** The sandbox driver's namespace (default a fresh one). */
  sandboxNamespace?: string;
  /** More environment for the server. */
  env?: NodeJS.ProcessEnv;
  /** More command-line arguments (after `serve --listen …`). */
  args?: string[];
  /** Options for node itself, before the script (e.g. `--cpu-prof`, refused in NODE_OPTIONS). */
  nodeArgs?: string[];
}

export async function startMetald(
  kind: DatabaseKind,
  options: StartOptions = {},
): Promise<MetaldProcess> {
  const log: string[] = [];
  let env: NodeJS.ProcessEnv;
  let cleanup: () => Promise<void>;
  if (kind === "pglite") {
    const dataDir = await mkdtemp(join(tmpdir(), "metald-e2e-"));
    env = { METALD_DATA_DIR: dataDir, DATABASE_URL: "" };
    cleanup = () => rm(dataDir, { recursive: true, force: true });
  } else {
    const schema = await createPostgresSchema("metald_e2e");
    env = { DATABASE_URL: schema.url, METALD_DATA_DIR: "/nonexistent-unused" };
    cleanup = schema.drop;
  }
  env = { ...env, ...options.env };
  if (options.logLevel) env.METALD_LOG_LEVEL = options.logLevel;
  env.METALD_DRIVER = options.driver ?? "dry-run";
  if (options.driver === "sandbox") {
    const sandbox = options.sandboxNamespace ?? `msbx-${randomBytes(4).toString("hex")}`;
    env.METALD_SANDBOX_NAMESPACE = sandbox;
    const removeDatabase = cleanup;
    // The server leaves host state in place when it stops (as in production); tests remove it.
    cleanup = async () => {
      await removeDatabase();
      // The sandbox and the guest namespaces it marked as its own (guest-namespace-marks.ts):
      // VMs a test did not delete must not pile up in the machine's namespace list.
      const marks = join(GUEST_MARKS_ROOT, sandbox);
      const guests = await readdir(marks).catch(() => [] as string[]);
      for (const ns of [sandbox, ...guests]) {
        await new Promise<void>((resolve) => {
          spawn("ip", ["netns", "delete", ns], { stdio: "ignore" }).on("exit", () => resolve());
        });
      }
      await rm(marks, { recursive: true, force: true });
      // The eBPF port guard's pins (vm-guard.ts); its programs go with the namespace's links.
      await rm(join("/sys/fs/bpf/metald", sandbox), { recursive: true, force: true });
    };
  }
  let current = await launch(env, log, options.args, options.nodeArgs);
  const process_: MetaldProcess = {
    get url() {
      return current.url;
    },
    get metricsUrl() {
      return current.metricsUrl;
    },
    get pid() {
      return current.child.pid;
    },
    env,
    log,
    async restart() {
      const code = await stopChild(current.child);
      if (code !== 0) throw new Error(`metald exited with ${code} on SIGTERM`);
      current = await launch(env, log, options.args, options.nodeArgs);
    },
    signal(name) {
      current.child.kill(name);
    },
    async crashAndRestart() {
      const { child } = current;
      await new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGKILL");
      });
      current = await launch(env, log, options.args, options.nodeArgs);
    },
    async stop() {
      await stopChild(current.child);
    },
    async destroy() {
      await stopChild(current.child);
      await cleanup();
    },
  };
  return process_;
}
