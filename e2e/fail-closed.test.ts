// metald fails closed: development authentication (no token = operator) listens on loopback
// unless an address is named and never runs in production; a start that could not enforce
// anything (no root, no driver named) is refused; /health does not tell an unauthenticated
// caller what the database said.
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer as createTcpServer, type Socket, connect as tcpConnect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MetaldProcess, POSTGRES_URL, startMetald } from "./harness/metald-process.js";
import { createPostgresSchema } from "./harness/postgres-schema.js";
import { waitUntil } from "./harness/wait-until.js";

const MAIN = fileURLToPath(new URL("../apps/metald/dist/main.js", import.meta.url));
const NOBODY = 65534;

interface Ready {
  url: string;
  log: string[];
  stop(): Promise<void>;
}

interface Exited {
  code: number | null;
  log: string[];
}

const started: Ready[] = [];
const dataDirs: string[] = [];

/** A data directory anyone may write (the server may run as nobody). */
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "metald-fail-closed-"));
  await chmod(dir, 0o777);
  dataDirs.push(dir);
  return dir;
}

/**
 * `metald serve` with exactly the given METALD_* settings (none inherited), as another user when
 * asked: resolves when it reports ready or when it exits.
 */
async function serve(
  args: string[],
  settings: Record<string, string>,
  options: { asNobody?: boolean } = {},
): Promise<Ready | Exited> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith("METALD_") && k !== "DATABASE_URL") env[k] = v;
  const asNobody = options.asNobody && process.getuid?.() === 0;
  const child = spawn(process.execPath, [MAIN, "serve", ...args], {
    env: {
      ...env,
      METALD_METRICS_HOST: "127.0.0.1",
      METALD_METRICS_PORT: "0",
      METALD_LOG_LEVEL: "info",
      METALD_DATA_DIR: await dataDir(),
      ...settings,
    },
    stdio: ["ignore", "pipe", "pipe"],
    ...(asNobody && { uid: NOBODY, gid: NOBODY }),
  });
  const log: string[] = [];
  return new Promise((resolve) => {
    const onLine = (line: string) => {
      log.push(line);
      if (!line.includes('"metald ready"')) return;
      const { url } = JSON.parse(line) as { url: string };
      const ready: Ready = {
        url,
        log,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      };
      started.push(ready);
      resolve(ready);
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = "";
      stream.on("data", (chunk: Buffer) => {
        const lines = (pending + chunk.toString("utf8")).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line !== "") onLine(line);
      });
    }
    child.once("close", (code) => resolve({ code, log }));
  });
}

function isReady(result: Ready | Exited): result is Ready {
  return "url" in result;
}

/** An address of this host that is not loopback, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, host);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("development mode", () => {
  it("listens on loopback when no address is named", async () => {
    const result = await serve([], {
      METALD_AUTH: "development",
      METALD_DRIVER: "dry-run",
      METALD_HTTP_PORT: "0",
    });
    expect(isReady(result), result.log.join("\n")).toBe(true);
    const { url } = result as Ready;
    const port = Number(new URL(url).port);
    expect(new URL(url).hostname).toBe("127.0.0.1");
    expect(await connects("127.0.0.1", port)).toBe(true);
    const external = externalAddress();
    if (external) expect(await connects(external, port)).toBe(false);
  });

  it("listens where --listen names, with a warning that no token means operator", async () => {
    const result = await serve(["--listen", "0.0.0.0:0"], {
      METALD_AUTH: "development",
      METALD_DRIVER: "dry-run",
    });
    expect(isReady(result), result.log.join("\n")).toBe(true);
    expect(new URL((result as Ready).url).hostname).toBe("0.0.0.0");
    expect(result.log.join("\n")).toContain("without a token is an operator");
  });

  it("is refused with METALD_ENV=production, also on a named address", async () => {
    const result = await serve(["--listen", "0.0.0.0:0"], {
      METALD_AUTH: "development",
      METALD_ENV: "production",
      METALD_DRIVER: "dry-run",
    });
    expect(isReady(result)).toBe(false);
    expect((result as Exited).code).toBe(1);
    expect(result.log.join("\n")).toContain("refused with METALD_ENV=production");
  });
});

describe("host driver without root", () => {
  it("refuses to start when no driver is named, instead of enforcing nothing", async () => {
    const result = await serve(["--listen", "127.0.0.1:0"], {}, { asNobody: true });
    expect(isReady(result), "metald started without root and without a driver").toBe(false);
    expect((result as Exited).code).toBe(1);
    const output = result.log.join("\n");
    expect(output).toContain("not running as root");
    expect(output).toContain("METALD_DRIVER=dry-run");
  });

  it("starts the dry-run driver when it is named, saying that nothing is enforced", async () => {
    const result = await serve(
      ["--listen", "127.0.0.1:0"],
      { METALD_DRIVER: "dry-run" },
      { asNobody: true },
    );
    expect(isReady(result), result.log.join("\n")).toBe(true);
    const output = result.log.join("\n");
    expect(output).toContain('"driver":"dry-run"');
    expect(output).toContain("nothing is enforced");
  });
});

describe("curl compatibility with tokens required", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("pglite", { env: { METALD_AUTH: "required" } });
  });
  afterAll(async () => {
    await metald?.destroy();
  });

  // A cross-site page can send a form-encoded or text/plain POST without a preflight, and metald
  // reads such bodies as JSON; what protects the API is that the page cannot add credentials.
  it("answers a browser's cross-site POST without a bearer token 401", async () => {
    const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      method: "POST",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        origin: "https://attacker.example",
        "sec-fetch-site": "cross-site",
      },
      body: JSON.stringify({ config: { ipv6_config: { addresses: ["2001:db8:7200::1/64"] } } }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "unauthenticated" });
  });

  it("grants no CORS preflight, so a page cannot send the Authorization header", async () => {
    const res = await fetch(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      method: "OPTIONS",
      headers: {
        origin: "https://attacker.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type",
      },
    });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-headers")).toBeNull();
    expect(res.headers.get("set-cookie")).toBeNull();
  });
});

describe("/health when the database is gone", () => {
  let schema: Awaited<ReturnType<typeof createPostgresSchema>> | undefined;
  const proxied = new Set<Socket>();
  let proxy: ReturnType<typeof createTcpServer>;
  let metald: MetaldProcess;

  beforeAll(async () => {
    schema = await createPostgresSchema("metald_health");
    // metald reaches PostgreSQL through this proxy, so the test can take the database away.
    const upstream = new URL(POSTGRES_URL);
    proxy = createTcpServer((client) => {
      const server = tcpConnect(Number(upstream.port || 5432), upstream.hostname);
      proxied.add(client);
      client.pipe(server).pipe(client);
      const close = () => {
        proxied.delete(client);
        client.destroy();
        server.destroy();
      };
      client.on("close", close);
      server.on("close", close);
      client.on("error", close);
      server.on("error", close);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address() as { port: number };
    const url = new URL(schema.url);
    url.host = `127.0.0.1:${port}`;
    metald = await startMetald("pglite", { env: { DATABASE_URL: url.toString() } });
  });
  afterAll(async () => {
    await metald?.destroy();
    for (const socket of proxied) socket.destroy();
    proxy?.close();
    await schema?.drop();
  });

  it("answers 503 with a generic status and logs the cause", async () => {
    expect((await fetch(`${metald.url}/health`)).status).toBe(200);
    // The database goes away: open connections drop, new ones are refused. (Waiting for idle
    // connections to time out would never end: the host heartbeat keeps one busy.)
    proxy.close();
    for (const socket of proxied) socket.destroy();
    // A request may still meet a connection the pool has not yet seen drop; the next is refused.
    const res = await waitUntil(
      "/health to answer 503",
      async () => {
        const answer = await fetch(`${metald.url}/health`);
        if (answer.status === 503) return answer;
        await answer.body?.cancel();
        return undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(await res.json()).toEqual({ status: "unavailable" });
    // The log line travels through a pipe and may arrive after the answer.
    const logged = await waitUntil(
      "the health check's log line naming the refused connection",
      async () => {
        const line = metald.log.find(
          (l) => l.includes("health check") && l.includes("ECONNREFUSED"),
        );
        if (!line) await (await fetch(`${metald.url}/health`)).body?.cancel();
        return line;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    expect(logged).toContain("ECONNREFUSED");
  }, 60_000);
});
