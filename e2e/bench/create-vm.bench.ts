// CreateVm through the full HTTP stack (Connect JSON, validation, database, dry-run driver),
// with 1 and 16 concurrent clients, on PGlite and PostgreSQL: throughput, p50 and p99.
// The server runs as its own process; this process only generates load.
import { type DatabaseKind, startMetald } from "../harness/metald-process.js";
import { createVmLoad, percentile } from "./create-vm-load.js";

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

const results: Result[] = [];
for (const database of ["pglite", "postgres"] as const) {
  const metald = await startMetald(database, { logLevel: "warn" });
  try {
    for (const concurrency of [1, 16]) {
      await createVmLoad(metald.url, concurrency, Date.now() + WARMUP_MS, body);
      const latencies = (
        await createVmLoad(metald.url, concurrency, Date.now() + DURATION_MS, body)
      ).sort((a, b) => a - b);
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
