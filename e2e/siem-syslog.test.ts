// SIEM push over syslog to a real rsyslog: RFC 5424 over TCP with octet counting, CEF, LEEF and
// JSON records, routed by the host configuration's siem_integration block. Every event arrives
// across an rsyslog restart and a metald SIGKILL; delivery is at least once, so a receiver
// drops repeats by the event id each message carries (metald@32473 eventId).
import { execFileSync } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCef, parseLeef } from "@metald/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import {
  type RsyslogReceiver,
  type SyslogLine,
  startRsyslogReceiver,
} from "./harness/rsyslog-receiver.js";
import { waitUntil } from "./harness/wait-until.js";

const FORMATS = ["cef", "leef", "json"] as const;

function hostConfig(endpoint: string, extra = ""): string {
  return `metald:
  network:
    ipv6:
      enabled: true
      security_profile: "high"
siem_integration:
  enabled: true
  endpoint: "${endpoint}"
  event_routing:
    audit_events:
      destination: "compliance_audit"
      real_time: false
      batch_size: 10
      formats: ["cef", "leef", "json"]
  retry_policy:
    max_retries: 2
    retry_delay: "100ms"
    backoff_multiplier: 2
    max_retry_delay: "300ms"
  buffer_config:
    flush_interval: "200ms"
${extra}`;
}

let serial = 0;
async function createVms(metald: MetaldProcess, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    serial++;
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: {
        tenant_id: "syslog",
        network: [{ id: "eth0", ipv6: { address: `2001:db8:55::${serial.toString(16)}/64` } }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}

async function storedAuditIds(metald: MetaldProcess): Promise<string[]> {
  const ids: string[] = [];
  let cursor = "";
  for (;;) {
    const res = await fetch(
      `${metald.url}/api/v1/security/events?limit=1000&category=all&event_type=config_change&cursor=${cursor}`,
    );
    const page = (await res.json()) as { events: { event_id: string }[]; next_cursor: string };
    if (page.events.length === 0) return ids;
    ids.push(...page.events.map((e) => e.event_id));
    cursor = page.next_cursor;
  }
}

/** The event id each record says it carries, checked against the id in the SD element. */
function recordId(line: SyslogLine): string {
  switch (line.sd.format) {
    case "cef":
      return parseCef(line.msg).extension.externalId ?? "";
    case "leef":
      return parseLeef(line.msg).attributes.externalId ?? "";
    default:
      return (JSON.parse(line.msg) as { event: { id: string } }).event.id;
  }
}

describe("SIEM push over syslog to rsyslog", () => {
  let rsyslog: RsyslogReceiver;
  let metald: MetaldProcess;

  beforeAll(async () => {
    rsyslog = await startRsyslogReceiver();
    const dir = await mkdtemp(join(tmpdir(), "metald-syslog-"));
    const configPath = join(dir, "config.yaml");
    await writeFile(configPath, hostConfig(rsyslog.url));
    metald = await startMetald("postgres", { args: ["--config", configPath] });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await rsyslog?.close();
  });

  const receivedIds = async (format: string) =>
    (await rsyslog.lines()).filter((l) => l.sd.format === format).map((l) => l.sd.eventId ?? "");

  const allArrived = async (stored: string[]) => {
    for (const format of FORMATS) {
      const got = new Set(await receivedIds(format));
      if (!stored.every((id) => got.has(id))) return false;
    }
    return true;
  };

  it("sends CEF, LEEF and JSON records that rsyslog parses as RFC 5424 and that parse back", async () => {
    await createVms(metald, 6);
    const stored = await storedAuditIds(metald);
    expect(stored).toHaveLength(6);
    await waitUntil("6 events in each format at rsyslog", () => allArrived(stored));
    const lines = await rsyslog.lines();
    for (const line of lines) {
      // authpriv (10) × 8 + informational (6): rsyslog read the PRI, MSGID and SD of each.
      expect(line.pri).toBe(86);
      expect(line.msgId).toBe("config_change");
      expect(line.sd.destination).toBe("compliance_audit");
      expect(recordId(line)).toBe(line.sd.eventId);
    }
    const cef = parseCef(lines.find((l) => l.sd.format === "cef")?.msg ?? "");
    expect(cef).toMatchObject({ vendor: "Unkey", product: "Metald" });
    expect(cef.extension.cs2).toBe("syslog");
    const leef = parseLeef(lines.find((l) => l.sd.format === "leef")?.msg ?? "");
    expect(leef.attributes).toMatchObject({ cat: "config_change", customerId: "syslog" });
  });

  it("loses nothing across an rsyslog restart and a metald SIGKILL (at least once, deduplicated by event id)", async () => {
    const logFrom = metald.log.length;
    await rsyslog.stop();
    await createVms(metald, 8);
    await waitUntil("a failed syslog delivery while rsyslog is down", () =>
      metald.log.slice(logFrom).some((l) => l.includes('"SIEM delivery failed"')),
    );
    await rsyslog.start();
    // Killed while batches are being written: some may have reached rsyslog without their
    // position being stored, and are sent again after the restart.
    await createVms(metald, 10);
    await metald.crashAndRestart();
    await createVms(metald, 4);
    const stored = await storedAuditIds(metald);
    expect(stored).toHaveLength(28);
    await waitUntil("all 28 events in each format at rsyslog", () => allArrived(stored), {
      timeoutMs: 30_000,
    });
    for (const format of FORMATS) {
      const ids = await receivedIds(format);
      expect(new Set(ids)).toEqual(new Set(stored));
      const repeats = ids.length - new Set(ids).size;
      console.log(
        `syslog ${format}: ${ids.length} messages for ${stored.length} events (${repeats} repeats)`,
      );
    }
  });
});

describe("SIEM push over syslog with TLS, then UDP after SIGHUP, to rsyslog", () => {
  let rsyslog: RsyslogReceiver;
  let metald: MetaldProcess;
  let configPath: string;
  let tlsBlock: string;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), "metald-syslog-tls-"));
    const certFile = join(dir, "cert.pem");
    const keyFile = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost",
        "-days",
        "1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ],
      { stdio: "ignore" },
    );
    rsyslog = await startRsyslogReceiver({ tls: { certFile, keyFile }, udp: true });
    configPath = join(dir, "config.yaml");
    tlsBlock = `  tls:\n    ca_file: "${certFile}"\n`;
    await writeFile(configPath, hostConfig(rsyslog.url, tlsBlock));
    metald = await startMetald("pglite", { args: ["--config", configPath] });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await rsyslog?.close();
  });

  it("delivers every event over TLS, checking rsyslog's certificate against the configured CA", async () => {
    await createVms(metald, 3);
    const stored = await storedAuditIds(metald);
    expect(stored).toHaveLength(3);
    await waitUntil("3 events in each format at rsyslog over TLS", async () => {
      const lines = await rsyslog.lines();
      return FORMATS.every((format) => {
        const got = new Set(lines.filter((l) => l.sd.format === format).map((l) => l.sd.eventId));
        return stored.every((id) => got.has(id));
      });
    });
    for (const line of await rsyslog.lines()) expect(recordId(line)).toBe(line.sd.eventId);
  });

  it("switches the route to udp:// on SIGHUP, and the next events arrive over UDP", async () => {
    await writeFile(configPath, hostConfig(rsyslog.udpUrl, tlsBlock));
    const from = metald.log.length;
    metald.signal("SIGHUP");
    await waitUntil("the SIEM routing reloaded", () =>
      metald.log.slice(from).some((l) => l.includes('"SIEM routing reloaded"')),
    );
    const before = new Set(await storedAuditIds(metald));
    await createVms(metald, 3);
    const fresh = (await storedAuditIds(metald)).filter((id) => !before.has(id));
    expect(fresh).toHaveLength(3);
    await waitUntil("3 new events in each format at rsyslog over UDP", async () => {
      const lines = (await rsyslog.lines()).filter((l) => l.input === "imudp");
      return FORMATS.every((format) => {
        const got = new Set(lines.filter((l) => l.sd.format === format).map((l) => l.sd.eventId));
        return fresh.every((id) => got.has(id));
      });
    });
    for (const line of await rsyslog.lines()) expect(recordId(line)).toBe(line.sd.eventId);
  });
});
