// The event log at 1,000,000 events (BENCH_STORED_EVENTS) on PostgreSQL, through the REST API
// of a running metald: p50/p99 of the guides' queries, then the pull feed's throughput.
// (PGlite is left out: its database lives inside the metald process, so the million rows
// cannot be loaded beside it.)
import pg from "pg";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";

const N = Number(process.env.BENCH_STORED_EVENTS ?? 1_000_000);
const RUNS = 200;
const TENANTS = 50;
const VMS = 1000;
const TYPES = [
  "ra_guard_block",
  "source_spoofing",
  "rate_limit_exceeded",
  "nd_rate_limit_exceeded",
  "extension_header_block",
  "policy_block",
  "config_change",
  "inter_tenant_block",
];
const SEVERITY = [
  "warning",
  "critical",
  "warning",
  "warning",
  "warning",
  "info",
  "info",
  "warning",
];
const DAYS = 30;

async function load(metald: MetaldProcess) {
  const client = new pg.Client({ connectionString: metald.env.DATABASE_URL });
  await client.connect();
  const start = Date.now();
  // Spread over the last 30 days in seq order, as a log fills.
  await client.query(
    `INSERT INTO security_events (id, occurred_at, expires_at, vm_id, tenant_id, event_type, severity,
       source_ip, description, details, count, category)
     SELECT 'evt-load-' || lpad(i::text, 8, '0'),
       now() - make_interval(secs => ($1::int - i) * ($2::float8 * 86400 / $1::int)),
       now() + interval '365 days',
       'vm-' || (i % $3), 'tenant-' || (i % $3 % $4),
       (ARRAY[${TYPES.map((t) => `'${t}'`).join(",")}])[1 + i % 8],
       (ARRAY[${SEVERITY.map((t) => `'${t}'`).join(",")}])[1 + i % 8],
       '2001:db8:bad::' || to_hex(i % 4096), 'load', '{"control":"ra_guard"}'::jsonb, 1 + i % 50,
       CASE WHEN i % 8 = 1 THEN 'critical' WHEN i % 8 = 6 THEN 'audit' ELSE 'security' END
     FROM generate_series(1, $1::int) AS i`,
    [N, DAYS, VMS, TENANTS],
  );
  await client.query("ANALYZE security_events");
  await client.end();
  return (Date.now() - start) / 1000;
}

async function time(url: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const pick = (n: number) => Math.floor(Math.random() * n);
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

const metald = await startMetald("postgres", { logLevel: "warn" });
try {
  const loadS = await load(metald);
  console.log(`loaded ${N.toLocaleString("en")} events in ${loadS.toFixed(1)} s`);
  const api = `${metald.url}/api/v1/security/events`;
  const queries: [string, () => string][] = [
    [
      "customer_id & since=1h (guide's migration check)",
      () => `${api}?customer_id=tenant-${pick(TENANTS)}&since=1h`,
    ],
    [
      "vm_id & start & end, 6 h window",
      () => {
        const h = 6 + pick(24 * DAYS - 6);
        return `${api}?vm_id=vm-${pick(VMS)}&start=${hoursAgo(h)}&end=${hoursAgo(h - 6)}`;
      },
    ],
    [
      "event_type & severity, first page",
      () => `${api}?event_type=${TYPES[pick(8)]}&severity=warning`,
    ],
    [
      "customer_id & event_type, since=7d",
      () => `${api}?customer_id=tenant-${pick(TENANTS)}&event_type=source_spoofing&since=7d`,
    ],
    ["one event by id", () => `${api}/evt-load-${String(1 + pick(N)).padStart(8, "0")}`],
    ["next page by cursor, vm_id", () => `${api}?vm_id=vm-${pick(VMS)}&limit=100`],
    [
      "report over 24 h (POST body as the guide)",
      () => `${metald.url}/debug/security/report?start_time=${hoursAgo(24)}`,
    ],
  ];
  console.log("| query | p50 (ms) | p99 (ms) |");
  console.log("|---|---|---|");
  for (const [name, url] of queries) {
    for (let i = 0; i < 10; i++) await time(url());
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await time(url()));
    times.sort((a, b) => a - b);
    console.log(
      `| ${name} | ${percentile(times, 50).toFixed(1)} | ${percentile(times, 99).toFixed(1)} |`,
    );
  }
  const debugTimes: number[] = [];
  for (let i = 0; i < 20; i++) debugTimes.push(await time(`${metald.url}/debug/security/events`));
  debugTimes.sort((a, b) => a - b);
  console.log(
    `| /debug/security/events (newest 10,000, one array) | ${percentile(debugTimes, 50).toFixed(1)} | ${percentile(debugTimes, 99).toFixed(1)} |`,
  );

  console.log("| feed format | limit | events read | events/s |");
  console.log("|---|---|---|---|");
  for (const format of ["json", "cef", "leef"]) {
    const total = Math.min(N, 200_000);
    let cursor = "";
    let read = 0;
    const start = process.hrtime.bigint();
    while (read < total) {
      const res = await fetch(
        `${metald.url}/api/v1/security/feed?limit=5000&format=${format}&cursor=${cursor}`,
      );
      const page = (await res.json()) as { events: unknown[]; next_cursor: string };
      if (page.events.length === 0) break;
      read += page.events.length;
      cursor = page.next_cursor;
    }
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(
      `| ${format} | 5000 | ${read.toLocaleString("en")} | ${Math.round(read / s).toLocaleString("en")} |`,
    );
  }
} finally {
  await metald.destroy();
}
