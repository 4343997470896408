// A soak of a sandbox host for a given time: concurrent API load (CreateVm,
// UpdateVmNetworkSecurity, IsolateVm, UnisolateVm, DeleteVm, GetVm, ListVms over HTTP), attack
// traffic from a guest (rogue router advertisements and spoofed sources sent with scapy, which
// the counter poll and packet samples turn into security events), and a SIEM receiver that is
// taken down (connection refused, or 503) a few times and brought back. It measures what the
// soak test and the soak benchmark assert and report: every answer's status and latency, the
// server's RSS once a second, the events stored against those the receiver got, and, at the
// end, the kernel against the database (kernel-matches-database.ts). Needs root and scapy.
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createGuest, type Guest, send, waitForAddresses } from "../enforcement/sandbox-guests.js";
import { compareKernelWithDatabase } from "./kernel-matches-database.js";
import { type DatabaseKind, type MetaldProcess, startMetald } from "./metald-process.js";
import { type SiemReceiver, startSiemReceiver } from "./siem-receiver.js";
import { waitUntil } from "./wait-until.js";

export interface SoakOptions {
  durationMs: number;
  database?: DatabaseKind;
  /** API callers at once (default 4). */
  lanes?: number;
  /** Churned VMs live at most (default 12). */
  maxLive?: number;
  /** Receiver outages during the run (default 3), each `outageMs` long (default 4 s). */
  outages?: number;
  outageMs?: number;
  /** Load before the memory figures start (default a quarter of the run, at most 15 s). */
  warmupMs?: number;
  /** How long to wait at the end for every stored event to reach the receiver (default 60 s). */
  deliveryDeadlineMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export const SOAK_METHODS = [
  "CreateVm",
  "UpdateVmNetworkSecurity",
  "IsolateVm",
  "UnisolateVm",
  "DeleteVm",
  "GetVm",
  "ListVms",
] as const;
export type SoakMethod = (typeof SOAK_METHODS)[number];

export interface MethodFigures {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers by "status code" (code: the Connect error code of a non-2xx answer). */
  answers: Record<string, number>;
}

export interface SoakReport {
  database: DatabaseKind;
  seconds: number;
  calls: number;
  callsPerSecond: number;
  methods: Record<SoakMethod, MethodFigures>;
  /** Answers 5xx or none at all (connection failed). */
  serverErrors: number;
  /**
   * Non-2xx answers other than those a concurrent delete explains: not_found, or
   * failed_precondition once the VM's row is terminated, for a VM a DeleteVm was sent for.
   */
  unexpected: string[];
  rssMb: {
    start: number;
    peak: number;
    end: number;
    /** After warm-up: mean of the first and of the last third of the samples, and the difference. */
    firstThird: number;
    lastThird: number;
    growth: number;
  };
  attacks: { batches: number; frames: number };
  events: { stored: number; delivered: number; missing: string[]; byType: Record<string, number> };
  receiverOutages: number;
  /** Live VMs at the end, and every difference between the kernel and the database. */
  liveVms: number;
  mismatches: string[];
}

/** The answers a call about a VM another caller deleted may get. */
const AFTER_DELETE = new Set(["not_found", "failed_precondition"]);
const SPOOFED = "2001:db8:bad::66";
const PROFILES = ["SECURITY_PROFILE_HIGH", "SECURITY_PROFILE_MEDIUM", "SECURITY_PROFILE_LOW"];
const PPS = [2000, 3000, 5000];

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] as number) * 10) / 10;
}

const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Every stored event id (all categories), through the REST history's cursors. */
async function storedEvents(url: string): Promise<{ event_id: string; event_type: string }[]> {
  const all: { event_id: string; event_type: string }[] = [];
  let cursor = "";
  for (;;) {
    const res = await fetch(
      `${url}/api/v1/security/events?limit=1000&category=all&cursor=${cursor}`,
    );
    const page = (await res.json()) as {
      events: { event_id: string; event_type: string }[];
      next_cursor: string;
    };
    if (page.events.length === 0) return all;
    all.push(...page.events);
    cursor = page.next_cursor;
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const {
    durationMs,
    database = "pglite",
    lanes = 4,
    maxLive = 12,
    outages = 3,
    outageMs = 4_000,
    warmupMs = Math.min(15_000, durationMs / 4),
    deliveryDeadlineMs = 60_000,
    log = () => undefined,
  } = options;
  const run = randomBytes(3).toString("hex");
  const receiver: SiemReceiver = await startSiemReceiver();
  let metald: MetaldProcess | undefined;
  try {
    metald = await startMetald(database, {
      driver: "sandbox",
      logLevel: "warn",
      env: {
        METALD_SIEM_ENDPOINT: receiver.url,
        METALD_SIEM_FORMATS: "json",
        METALD_SIEM_FLUSH_INTERVAL_MS: "200",
        METALD_SIEM_RETRY_DELAY_MS: "200",
        METALD_SIEM_MAX_RETRY_DELAY_MS: "1000",
      },
    });
    const server = metald;
    const url = server.url;
    const serverPid = server.pid;
    if (serverPid === undefined) throw new Error("metald has no pid");
    const pid: number = serverPid;
    const sandbox = server.env.METALD_SANDBOX_NAMESPACE as string;

    // The attacker and its victim: booted guests on one tenant bridge, kept for the whole run.
    const guest = (address: string) =>
      createGuest(url, address, {
        tenant_id: "soak-attack",
        network: [{ id: "eth0", ipv6: { address: `${address}/64`, security: {} } }],
      });
    const attacker: Guest = await guest("2001:db8:5a::a");
    const victim: Guest = await guest("2001:db8:5a::b");
    for (const g of [attacker, victim]) await waitForAddresses(g);

    const started = Date.now();
    const deadline = started + durationMs;
    const running = () => Date.now() < deadline;
    const latencies = new Map<SoakMethod, number[]>(SOAK_METHODS.map((m) => [m, []]));
    const answers = new Map<SoakMethod, Map<string, number>>(
      SOAK_METHODS.map((m) => [m, new Map()]),
    );
    const unexpected: string[] = [];
    let serverErrors = 0;

    /** VMs a DeleteVm was sent for (before it was sent). */
    const deleted = new Set<string>();
    async function call(
      method: SoakMethod,
      body: { vm_id?: string; [field: string]: unknown },
    ): Promise<number> {
      const t0 = performance.now();
      let status = 0;
      let code = "";
      try {
        const res = await fetch(`${url}/vmprovisioner.v1.VmService/${method}`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        status = res.status;
        if (status !== 200) code = (JSON.parse(text) as { code?: string }).code ?? text;
      } catch (error) {
        code = (error as Error).message;
      }
      latencies.get(method)?.push(performance.now() - t0);
      const key = code === "" ? String(status) : `${status} ${code}`;
      const counts = answers.get(method) as Map<string, number>;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (status === 0 || status >= 500) serverErrors++;
      const explained =
        status >= 400 &&
        status < 500 &&
        AFTER_DELETE.has(code) &&
        body.vm_id !== undefined &&
        deleted.has(body.vm_id);
      if (status !== 200 && !explained) unexpected.push(`${method} ${body.vm_id ?? ""} ${key}`);
      return status;
    }

    // API load: churned VMs on three tenants, every method mixed.
    const live: string[] = [];
    const attempted = new Set<string>([attacker.vmId, victim.vmId]);
    let serial = 0;
    async function lane(): Promise<void> {
      while (running()) {
        const roll = Math.random();
        if (live.length === 0 || (live.length < maxLive && roll < 0.2)) {
          const n = serial++;
          const vmId = `vm-soak-${run}-${n}`;
          attempted.add(vmId);
          const status = await call("CreateVm", {
            vm_id: vmId,
            config: {
              tenant_id: `soak-${n % 3}`,
              network: [
                {
                  id: "eth0",
                  ipv6: {
                    address: `2001:db8:${(0x5b0 + (n % 3)).toString(16)}::${(n + 1).toString(16)}/64`,
                  },
                  security_policy: { packet_rate_limit: pick(PPS) },
                },
              ],
            },
          });
          if (status === 200) live.push(vmId);
          continue;
        }
        const vmId = pick(live);
        if (roll < 0.35) {
          await call("UpdateVmNetworkSecurity", {
            vm_id: vmId,
            security: { profile: pick(PROFILES), rate_limits: { max_pps_per_vm: pick(PPS) } },
          });
        } else if (roll < 0.45) {
          await call("IsolateVm", { vm_id: vmId, reason: "soak" });
        } else if (roll < 0.55) {
          await call("UnisolateVm", { vm_id: vmId, reason: "soak" });
        } else if (roll < 0.65) {
          // Out of the list first: other callers stop picking it (those already on it get
          // not_found or failed_precondition, the answers a deleted VM explains).
          const at = live.indexOf(vmId);
          if (at >= 0) live.splice(at, 1);
          deleted.add(vmId);
          await call("DeleteVm", { vm_id: vmId });
        } else if (roll < 0.85) {
          await call("GetVm", { vm_id: vmId });
        } else {
          await call("ListVms", { page_size: 100 });
        }
      }
    }

    // Attack traffic: a batch every 2 s, rogue RAs and spoofed sources alternately.
    const attacks = { batches: 0, frames: 0 };
    async function attack(): Promise<void> {
      for (let i = 0; running(); i++) {
        const next = Date.now() + 2_000;
        attacks.frames +=
          i % 2 === 0
            ? await send(attacker, "ra-plain", { src: attacker.linkLocal, count: 5 })
            : await send(attacker, "echo", { src: SPOOFED, dst: victim.address, count: 4 });
        attacks.batches++;
        const pause = Math.min(next, deadline) - Date.now();
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }

    // Receiver outages spread over the run; odd ones refuse connections, even ones answer 503.
    let receiverOutages = 0;
    async function outage(): Promise<void> {
      for (let i = 0; i < outages; i++) {
        const at = started + ((i + 1) * durationMs) / (outages + 1) - outageMs / 2;
        const wait = at - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (!running()) return;
        if (i % 2 === 0) await receiver.down();
        else receiver.answerWith(503);
        receiverOutages++;
        log(`receiver outage ${receiverOutages} (${i % 2 === 0 ? "down" : "503"})`);
        await new Promise((resolve) => setTimeout(resolve, outageMs));
        if (i % 2 === 0) await receiver.up();
        else receiver.answerWith(200);
      }
    }

    // RSS once a second. The first samples are PGlite's start-up heap being given back and the
    // first VMs' caches filling: the growth figure starts after the warm-up.
    const rss: number[] = [await rssMb(pid)];
    const afterWarmup: number[] = [];
    async function sample(): Promise<void> {
      while (running()) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const mb = await rssMb(pid);
        rss.push(mb);
        if (Date.now() - started >= warmupMs) afterWarmup.push(mb);
      }
    }

    log(`soak on ${database} for ${Math.round(durationMs / 1000)} s, ${lanes} callers`);
    await Promise.all([...Array.from({ length: lanes }, lane), attack(), outage(), sample()]);
    const seconds = (Date.now() - started) / 1000;
    rss.push(await rssMb(pid));

    // Every stored event at the receiver (the receiver is up again: the outages ended in time).
    let stored = await storedEvents(url);
    const delivered = () => new Set(receiver.eventIds("json"));
    await waitUntil(
      () => `every stored event at the receiver (${stored.length} stored, ${delivered().size} got)`,
      async () => {
        stored = await storedEvents(url);
        const got = delivered();
        return stored.every((e) => got.has(e.event_id));
      },
      { timeoutMs: deliveryDeadlineMs, intervalMs: 500 },
    ).catch((error: Error) => log(error.message));
    const got = delivered();
    const byType: Record<string, number> = {};
    for (const e of stored) byType[e.event_type] = (byType[e.event_type] ?? 0) + 1;

    const comparison = await compareKernelWithDatabase(url, sandbox, attempted);

    const methods = {} as Record<SoakMethod, MethodFigures>;
    let calls = 0;
    for (const m of SOAK_METHODS) {
      const sorted = [...(latencies.get(m) ?? [])].sort((a, b) => a - b);
      calls += sorted.length;
      methods[m] = {
        calls: sorted.length,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        answers: Object.fromEntries(answers.get(m) ?? []),
      };
    }
    const third = Math.max(1, Math.floor(afterWarmup.length / 3));
    const firstThird = mean(afterWarmup.slice(0, third));
    const lastThird = mean(afterWarmup.slice(-third));
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      database,
      seconds: round(seconds),
      calls,
      callsPerSecond: round(calls / seconds),
      methods,
      serverErrors,
      unexpected,
      rssMb: {
        start: round(rss[0] ?? 0),
        peak: round(Math.max(...rss)),
        end: round(rss[rss.length - 1] ?? 0),
        firstThird: round(firstThird),
        lastThird: round(lastThird),
        growth: round(lastThird - firstThird),
      },
      attacks,
      events: {
        stored: stored.length,
        delivered: stored.filter((e) => got.has(e.event_id)).length,
        missing: stored.filter((e) => !got.has(e.event_id)).map((e) => e.event_id),
        byType,
      },
      receiverOutages,
      liveVms: comparison.live.length,
      mismatches: comparison.mismatches,
    };
  } finally {
    await metald?.destroy();
    await receiver.close();
  }
}

/** The report as the lines the README's benchmark section shows. */
export function formatSoakReport(r: SoakReport): string {
  const lines = [
    `soak on ${r.database}: ${r.seconds} s, ${r.calls} calls (${r.callsPerSecond}/s), ${r.serverErrors} 5xx or unanswered, ${r.unexpected.length} unexpected answers`,
    ...SOAK_METHODS.map((m) => {
      const f = r.methods[m];
      const answers = Object.entries(f.answers)
        .map(([k, n]) => `${k}: ${n}`)
        .join(", ");
      return `  ${m.padEnd(24)} ${String(f.calls).padStart(6)} calls  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  (${answers})`;
    }),
    `  RSS MB: start ${r.rssMb.start}, peak ${r.rssMb.peak}, end ${r.rssMb.end}; after warm-up mean of first third ${r.rssMb.firstThird}, of last third ${r.rssMb.lastThird} (growth ${r.rssMb.growth})`,
    `  attacks: ${r.attacks.batches} batches, ${r.attacks.frames} frames; events stored ${r.events.stored}, delivered ${r.events.delivered} (${Object.entries(
      r.events.byType,
    )
      .map(([k, n]) => `${k}: ${n}`)
      .join(", ")})`,
    `  receiver outages: ${r.receiverOutages}; live VMs at the end: ${r.liveVms}; kernel vs database differences: ${r.mismatches.length}`,
  ];
  return lines.join("\n");
}
