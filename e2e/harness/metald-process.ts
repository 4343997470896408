// Starts the built metald server as a real process, on a free port, against PGlite in a
// temporary data directory or PostgreSQL in a schema of its own.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const POSTGRES_URL =
  process.env.METALD_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const MAIN = fileURLToPath(new URL("../../apps/metald/dist/main.js", import.meta.url));

export type DatabaseKind = "pglite" | "postgres";

export interface MetaldProcess {
  readonly url: string;
  /** The Prometheus endpoint, http://127.0.0.1:PORT/metrics. */
  readonly metricsUrl: string;
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

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function launch(
  env: NodeJS.ProcessEnv,
  log: string[],
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; metricsUrl: string }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN, "serve", "--listen", `127.0.0.1:${port}`, ...args], {
    env: {
      ...process.env,
      METALD_LOG_LEVEL: "info",
      METALD_METRICS_HOST: "127.0.0.1",
      METALD_METRICS_PORT: String(metricsPort),
      METALD_EVENT_POLL_MS: "300",
      // The guides' curl commands carry no token: tests run in development mode unless they
      // test authentication itself.
      METALD_AUTH: "development",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk: Buffer) =>
    log.push(
      ...chunk
        .toString("utf8")
        .split("\n")
        .filter((l) => l !== ""),
    );
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`metald exited with ${child.exitCode}:\n${log.join("\n")}`);
    const healthy = await fetch(`${url}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) return { child, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`metald did not become healthy within 30 s:\n${log.join("\n")}`);
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
    const schema = `metald_e2e_${randomBytes(6).toString("hex")}`;
    await adminQuery(`CREATE SCHEMA ${schema}`);
    const url = new URL(POSTGRES_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env = { DATABASE_URL: url.toString(), METALD_DATA_DIR: "/nonexistent-unused" };
    cleanup = () => adminQuery(`DROP SCHEMA ${schema} CASCADE`);
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
      await new Promise<void>((resolve) => {
        spawn("ip", ["netns", "delete", sandbox], { stdio: "ignore" }).on("exit", () => resolve());
      });
    };
  }
  let current = await launch(env, log, options.args);
  const process_: MetaldProcess = {
    get url() {
      return current.url;
    },
    get metricsUrl() {
      return current.metricsUrl;
    },
    env,
    log,
    async restart() {
      const code = await stopChild(current.child);
      if (code !== 0) throw new Error(`metald exited with ${code} on SIGTERM`);
      current = await launch(env, log, options.args);
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
      current = await launch(env, log, options.args);
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
