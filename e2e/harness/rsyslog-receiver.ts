// A real rsyslog (the Debian package) as a SIEM's syslog receiver, started by the test as a child
// process with a configuration of its own in a temporary directory: RFC 6587 octet-counted
// syslog over TCP (imtcp), each message written to a file as its input, PRI, MSGID,
// STRUCTURED-DATA and MSG.
//
// Ports: rsyslog binds port 0 itself and writes the port the kernel chose to a file
// (imtcp's listenPortFileName), so there is no window between finding a free port and binding it.
// A restart binds that same port again (metald's configuration names it) and is ready once a
// connection to it is accepted while rsyslogd runs; one that cannot bind fails loudly here.
// imudp has no port file: a random port is tried and rsyslogd is asked to bind it; `ss` then says
// whether this rsyslogd's pid holds it (another process may have had it), and if not, rsyslogd
// is stopped and the next port tried. rsyslogd binds it itself, so nothing can take it between.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "./wait-until.js";

export interface SyslogLine {
  /** The rsyslog input that received it: imtcp or imudp. */
  input: string;
  pri: number;
  msgId: string;
  /** PARAM-NAME → PARAM-VALUE of metald's SD element (unescaped). */
  sd: Record<string, string>;
  msg: string;
}

export interface RsyslogOptions {
  /** RFC 5425 over TLS (rsyslog's gtls driver, Debian rsyslog-gnutls) with this PEM pair. */
  tls?: { certFile: string; keyFile: string };
  /** Also RFC 5426 syslog over UDP (imudp) into the same file. */
  udp?: boolean;
}

export interface RsyslogReceiver {
  readonly port: number;
  /** tcp://127.0.0.1:PORT, or tls://localhost:PORT */
  readonly url: string;
  /** udp://127.0.0.1:PORT when started with `udp`. */
  readonly udpUrl: string;
  /** Every message rsyslog wrote to its file so far, in order. */
  lines(): Promise<SyslogLine[]>;
  /** Stops rsyslog gracefully (SIGTERM: it flushes its queue and file) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and file. */
  start(): Promise<void>;
  close(): Promise<void>;
}

const SD_PARAM = /([^ =\]"]+)="((?:[^"\\]|\\.)*)"/g;

export function parseSyslogLine(line: string): SyslogLine {
  const [input, pri, msgId, sd, ...rest] = line.split("\t");
  const params: Record<string, string> = {};
  for (const m of (sd ?? "").matchAll(SD_PARAM))
    params[m[1] as string] = (m[2] as string).replace(/\\(["\\\]])/g, "$1");
  return {
    input: input ?? "",
    pri: Number(pri),
    msgId: msgId ?? "",
    sd: params,
    msg: rest.join("\t"),
  };
}

/** Whether process `pid` holds UDP port `port` on this host. */
function holdsUdpPort(pid: number, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    execFile("ss", ["-H", "-ulnp", "sport", "=", `:${port}`], (error, stdout) =>
      resolve(!error && stdout.includes(`pid=${pid},`)),
    );
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

export async function startRsyslogReceiver(options: RsyslogOptions = {}): Promise<RsyslogReceiver> {
  const dir = await mkdtemp(join(tmpdir(), "metald-rsyslog-"));
  const portFile = join(dir, "port");
  const out = join(dir, "messages.log");
  const confFile = join(dir, "rsyslog.conf");
  const log: string[] = [];
  let child: ChildProcess | undefined;
  let port = 0;
  let udpPort = 0;

  const { tls } = options;
  // anon: the sender checks the receiver's certificate; rsyslog asks for no client certificate.
  const tlsGlobals = tls
    ? `defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile="${tls.certFile}" defaultNetstreamDriverCertFile="${tls.certFile}" defaultNetstreamDriverKeyFile="${tls.keyFile}"`
    : "";
  const tlsModule = tls
    ? ` streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"`
    : "";
  const config = (listenPort: number) => `
global(workDirectory="${dir}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off" ${tlsGlobals})
module(load="imtcp"${tlsModule})
input(type="imtcp" port="${listenPort}" address="127.0.0.1" listenPortFileName="${portFile}" ruleset="siem")
${udpPort === 0 ? "" : `module(load="imudp")\ninput(type="imudp" port="${udpPort}" address="127.0.0.1" ruleset="siem")`}
template(name="siemLine" type="string" string="%inputname%\\t%pri%\\t%msgid%\\t%structured-data%\\t%msg%\\n")
ruleset(name="siem") {
  action(type="omfile" file="${out}" template="siemLine" flushOnTXEnd="on")
}
`;

  const startOnce = async () => {
    await unlink(portFile).catch(() => {});
    await writeFile(confFile, config(port));
    const c = spawn("rsyslogd", ["-n", "-f", confFile, "-i", join(dir, "rsyslogd.pid")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [c.stdout, c.stderr])
      stream?.on("data", (chunk: Buffer) => log.push(chunk.toString("utf8")));
    child = c;
    port = await waitUntil(
      () => `rsyslogd to listen (its output: ${log.join("")})`,
      async () => {
        if (c.exitCode !== null) throw new Error(`rsyslogd exited: ${log.join("")}`);
        if (port === 0) {
          const text = await readFile(portFile, "utf8").catch(() => "");
          return /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : undefined;
        }
        // A fixed port gets no port file: it is bound once a connection is accepted.
        return (await accepts(port)) && port;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    return c;
  };

  const start = async () => {
    const pickUdp = options.udp === true && udpPort === 0;
    for (let attempt = 0; ; attempt++) {
      if (pickUdp) udpPort = 20_000 + Math.floor(Math.random() * 30_000);
      const c = await startOnce();
      if (udpPort === 0 || (c.pid !== undefined && (await holdsUdpPort(c.pid, udpPort)))) return;
      await stop();
      if (!pickUdp || attempt === 9)
        throw new Error(`rsyslogd could not bind UDP port ${udpPort}: ${log.join("")}`);
    }
  };

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGTERM");
    });
  };

  await start();
  return {
    get port() {
      return port;
    },
    get url() {
      return tls ? `tls://localhost:${port}` : `tcp://127.0.0.1:${port}`;
    },
    get udpUrl() {
      return `udp://127.0.0.1:${udpPort}`;
    },
    async lines() {
      const text = await readFile(out, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l !== "")
        .map(parseSyslogLine);
    },
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
