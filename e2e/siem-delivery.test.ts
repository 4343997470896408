// SIEM push and pull under faults: the receiver down for a while and back, metald killed with
// SIGKILL in the middle of a delivery, a pull client following cursors while events are
// written concurrently. Events come from the control plane (CreateVm, IsolateVm), so these
// run with the dry-run driver.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postJson } from "./harness/curl-like.js";
import { type MetaldProcess, startMetald } from "./harness/metald-process.js";
import { type SiemReceiver, startSiemReceiver } from "./harness/siem-receiver.js";
import { waitUntil } from "./harness/wait-until.js";

const TOKEN = "siem-token-0123456789";

async function siemEnv(receiver: SiemReceiver): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(tmpdir(), "metald-siem-"));
  const tokenFile = join(dir, "siem-token");
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  return {
    METALD_SIEM_ENDPOINT: receiver.url,
    METALD_SIEM_TOKEN_FILE: tokenFile,
    METALD_SIEM_FORMATS: "json,cef,leef",
    METALD_SIEM_FLUSH_INTERVAL_MS: "200",
    METALD_SIEM_RETRY_DELAY_MS: "100",
    METALD_SIEM_MAX_RETRY_DELAY_MS: "300",
  };
}

let serial = 0;
async function createVms(metald: MetaldProcess, n: number, tenant = "siem"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    serial++;
    const res = await postJson(`${metald.url}/vmprovisioner.v1.VmService/CreateVm`, {
      config: {
        tenant_id: tenant,
        network: [{ id: "eth0", ipv6: { address: `2001:db8:51::${serial.toString(16)}/64` } }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    ids.push((res.body as { vmId: string }).vmId);
  }
  return ids;
}

type StoredEvent = { event_id: string; event_type: string; vm_id: string };

async function storedEvents(metald: MetaldProcess, query = ""): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let cursor = "";
  for (;;) {
    const res = await fetch(
      `${metald.url}/api/v1/security/events?limit=1000&category=all&cursor=${cursor}${query}`,
    );
    const page = (await res.json()) as { events: StoredEvent[]; next_cursor: string };
    if (page.events.length === 0) return all;
    all.push(...page.events);
    cursor = page.next_cursor;
  }
}

const until = async (what: string, check: () => Promise<boolean> | boolean) => {
  await waitUntil(what, check);
};

const metric = async (metald: MetaldProcess, name: string) => {
  const text = await (await fetch(metald.metricsUrl)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
};

describe.each(["pglite", "postgres"] as const)("SIEM push on %s", (kind) => {
  let receiver: SiemReceiver;
  let metald: MetaldProcess;

  beforeAll(async () => {
    receiver = await startSiemReceiver();
    metald = await startMetald(kind, { env: await siemEnv(receiver) });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await receiver?.close();
  });

  it("delivers audit events as JSON (the guide's compliance_audit route) with the bearer token from the file", async () => {
    const vms = await createVms(metald, 5);
    await until(
      "5 audit events",
      () =>
        receiver.batches
          .filter((b) => b.format === "json" && b.destination === "compliance_audit")
          .flatMap((b) => b.records).length >= 5,
    );
    expect(receiver.batches.every((b) => b.format === "json")).toBe(true);
    const stored = await storedEvents(metald, "&event_type=config_change");
    expect(new Set(receiver.eventIds("json"))).toEqual(new Set(stored.map((e) => e.event_id)));
    expect(receiver.batches.every((b) => b.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const doc = receiver.batches.find((b) => b.format === "json")?.records[0] as {
      event: { action: string };
      observer: { vendor: string };
      metald: { vm_id: string; customer_id: string };
    };
    expect(doc.event.action).toBe("config_change");
    expect(doc.observer.vendor).toBe("Unkey");
    expect(vms).toContain(doc.metald.vm_id);
    expect(doc.metald.customer_id).toBe("siem");
  });

  it("loses nothing while the receiver is down for a while, then catches up", async () => {
    const logFrom = metald.log.length;
    await receiver.down();
    const during = await createVms(metald, 12);
    const isolated = await postJson(`${metald.url}/vmprovisioner.v1.VmService/IsolateVm`, {
      vm_id: during[0],
      reason: "investigation",
    });
    expect(isolated.status, JSON.stringify(isolated.body)).toBe(200);
    // Down "for a while": a delivery has failed and its retry has failed too (the server logs
    // each failed attempt) before the receiver comes back.
    await until("a retried SIEM delivery failing while the receiver is down", () =>
      metald.log.slice(logFrom).some((line) => {
        if (!line.includes('"SIEM delivery failed"')) return false;
        return ((JSON.parse(line) as { attempt?: number }).attempt ?? 0) >= 1;
      }),
    );
    expect(await metric(metald, "metald_siem_delivery_failures_total")).toBeGreaterThan(0);
    await receiver.up();
    const stored = await storedEvents(metald);
    await until("every stored event at the receiver", () => {
      const got = new Set(receiver.eventIds("json"));
      return stored.every((e) => got.has(e.event_id));
    });
    expect(await metric(metald, "metald_siem_events_dropped_total")).toBe(0);
    // Quarantine is a control-plane change: the compliance_audit route.
    const quarantine = stored.find((e) => e.event_type === "vm_quarantined");
    expect(quarantine).toBeDefined();
    const route = receiver.batches.find((b) =>
      b.records.some((r) => (r.event as { id: string }).id === quarantine?.event_id),
    );
    expect(route?.destination).toBe("compliance_audit");
  });
});

describe("SIEM push across SIGKILL", () => {
  let receiver: SiemReceiver;
  let metald: MetaldProcess;

  beforeAll(async () => {
    receiver = await startSiemReceiver();
    metald = await startMetald("postgres", { env: await siemEnv(receiver) });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await receiver?.close();
  });

  it("delivers, after a restart, what was in flight when metald was killed: at least once, nothing lost", async () => {
    const held = receiver.hold();
    await createVms(metald, 20);
    await held.arrived;
    await metald.crashAndRestart();
    held.release();
    await createVms(metald, 5);
    const stored = await storedEvents(metald, "&event_type=config_change");
    expect(stored.length).toBe(25);
    await until("all 25 events delivered after the restart", () => {
      const got = new Set(receiver.eventIds("json"));
      return stored.every((e) => got.has(e.event_id));
    });
  });
});

describe("SIEM pull feed", () => {
  let metald: MetaldProcess;

  beforeAll(async () => {
    metald = await startMetald("postgres", { env: { METALD_FEED_MAX_CONCURRENT: "2" } });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
  });

  it("gives a client resuming from its cursors every event exactly once and in order, while events are written", async () => {
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (writing) await createVms(metald, 1, `feed-${w}`);
    });
    const seen: string[] = [];
    let cursor = "";
    const read = async () => {
      const res = await fetch(`${metald.url}/api/v1/security/feed?limit=7&cursor=${cursor}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        events: { event: { id: string } }[];
        next_cursor: string;
      };
      expect(res.headers.get("link")).toContain(`cursor=${page.next_cursor}`);
      seen.push(...page.events.map((e) => e.event.id));
      cursor = page.next_cursor;
      return page.events.length;
    };
    const started = Date.now();
    while (Date.now() - started < 3_000) await read();
    writing = false;
    await Promise.all(writers);
    // Every write has been answered; follow the feed until it has given every stored event (an
    // event the feed skipped would never come, and this times out).
    let stored: string[] = [];
    await until("the feed to reach every stored event", async () => {
      while ((await read()) > 0) {}
      stored = (await storedEvents(metald)).map((e) => e.event_id);
      const given = new Set(seen);
      return stored.every((id) => given.has(id));
    });
    expect(stored.length).toBeGreaterThan(20);
    // Exactly once: no repeats, nothing missing (the order itself is checked against seqs in
    // the repository's concurrency test).
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(stored));
  });

  it("serves NDJSON and CEF/LEEF records, refuses foreign cursors, and answers 429 with Retry-After when busy", async () => {
    const nd = await fetch(`${metald.url}/api/v1/security/feed?limit=3&format=cef`, {
      headers: { accept: "application/x-ndjson" },
    });
    expect(nd.headers.get("content-type")).toContain("application/x-ndjson");
    const lines = (await nd.text()).trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] as string)).toMatch(/^CEF:0\|Unkey\|Metald\|1\.0\|METALD_IPV6_/);
    expect(nd.headers.get("x-next-cursor")).toBeTruthy();
    const bad = await fetch(`${metald.url}/api/v1/security/feed?cursor=bm9wZQ`);
    expect(bad.status).toBe(400);
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${metald.url}/api/v1/security/feed?limit=5000`)),
    );
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.headers.get("retry-after")).toBe("1");
  });
});

describe("SIEM push with a full buffer", () => {
  let receiver: SiemReceiver;
  let metald: MetaldProcess;

  beforeAll(async () => {
    receiver = await startSiemReceiver();
    await receiver.down();
    metald = await startMetald("pglite", {
      env: { ...(await siemEnv(receiver)), METALD_SIEM_MAX_BUFFER: "5" },
    });
  }, 60_000);

  afterAll(async () => {
    await metald?.destroy();
    await receiver?.close();
  });

  it("drops the oldest events beyond max_buffer_size (drop_oldest), counts every drop, and sends the newest", async () => {
    await createVms(metald, 12, "overflow");
    await until("the overflow counted", async () => {
      return (await metric(metald, "metald_siem_events_dropped_total")) === 7;
    });
    await receiver.up();
    const stored = await storedEvents(metald, "&event_type=config_change");
    const newest = stored.slice(-5).map((e) => e.event_id);
    await until("the newest 5 delivered", () => {
      const got = new Set(receiver.eventIds("json"));
      return newest.every((id) => got.has(id));
    });
    expect(receiver.eventIds("json")).toHaveLength(5);
  });
});
