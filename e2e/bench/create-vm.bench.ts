// CreateVm through the full HTTP stack (Connect JSON, validation, database, dry-run driver),
// with 1 and 16 concurrent clients, on PGlite and PostgreSQL: throughput, p50 and p99.
// The server runs as its own process; this process only generates load.
import { Pool } from "undici";
import { type DatabaseKind, startMetald } from "../harness/metald-process.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const WARMUP_MS = 1_000;

let serial = 0;
function body(): string {
  const n = serial++;
  const address = `fd00:b:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1/64`;
  return JSON.stringify({
    config: {
      cpu: { vcpu_count: 2 },
      memory: { size_bytes: 2147483648 },
      ipv6_config: {
        enabled: true,
        addresses: [address],
        security: {
          profile: "SECURITY_PROFILE_HIGH",
          isolation: {
            customer_vlan: 100,
            bridge_interface: "br-bench",
            inter_tenant_policy: "INTER_TENANT_POLICY_BLOCK_ALL",
          },
          rate_limits: { max_pps_per_vm: 5000, max_bandwidth_per_vm: 536870912 },
        },
      },
    },
  });
}

interface Result {
  database: DatabaseKind;
  concurrency: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

async function run(url: string, concurrency: number, durationMs: number): Promise<number[]> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const latencies: number[] = [];
  const end = Date.now() + durationMs;
  const client = async () => {
    while (Date.now() < end) {
      const started = process.hrtime.bigint();
      const res = await pool.request({
        path: "/vmprovisioner.v1.VmService/CreateVm",
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`CreateVm answered ${res.statusCode}: ${text}`);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  await pool.close();
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const results: Result[] = [];
for (const database of ["pglite", "postgres"] as const) {
  const metald = await startMetald(database, { logLevel: "warn" });
  try {
    for (const concurrency of [1, 16]) {
      await run(metald.url, concurrency, WARMUP_MS);
      const latencies = (await run(metald.url, concurrency, DURATION_MS)).sort((a, b) => a - b);
      results.push({
        database,
        concurrency,
        requests: latencies.length,
        perSecond: Math.round(latencies.length / (DURATION_MS / 1000)),
        p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
        p90Ms: Math.round(percentile(latencies, 90) * 100) / 100,
        p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
        maxMs: Math.round((latencies[latencies.length - 1] ?? Number.NaN) * 100) / 100,
      });
    }
  } finally {
    await metald.destroy();
  }
}

console.log(
  "| database | clients | CreateVm/s | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | requests |",
);
console.log("|---|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.database} | ${r.concurrency} | ${r.perSecond} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.requests} |`,
  );
}
