// CreateVm throughput of one sandbox host against two sandbox hosts sharing one PostgreSQL
// (docs/fleet.md), end to end: HTTP, validation, the shared database, and each host's kernel
// (its own sandbox namespace, ports, guest namespaces and nftables elements). The same number of
// concurrent clients in both runs; with two hosts, half of them send to each. Both hosts run on
// this one machine, so they share its cores and its PostgreSQL: the ratio says what a second
// process on the same machine gives, not what a second machine would.
import { availableParallelism, loadavg } from "node:os";
import { type MetaldProcess, startMetald } from "../harness/metald-process.js";
import { createPostgresSchema } from "../harness/postgres-schema.js";
import { createVmLoad, percentile } from "./create-vm-load.js";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const WARMUP_MS = 1_000;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);

let serial = 0;
function body(): string {
  const n = serial++;
  return JSON.stringify({
    config: {
      tenant_id: "fleet-bench",
      network: [
        {
          id: "eth0",
          ipv6: {
            address: `fd00:f1e:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1/64`,
          },
          security_policy: {
            ingress_rules: ["allow tcp from any to any port 443", "deny all from any to any"],
          },
        },
      ],
    },
  });
}

/** Starts `count` sandbox hosts on one fresh schema, loads them, and removes everything. */
async function measure(count: number) {
  const schema = await createPostgresSchema("metald_fleet_bench");
  const hosts: MetaldProcess[] = [];
  try {
    for (let i = 0; i < count; i++)
      hosts.push(
        await startMetald("postgres", {
          driver: "sandbox",
          logLevel: "warn",
          env: { DATABASE_URL: schema.url, METALD_HOST_ID: `bench-${i}` },
        }),
      );
    const split = (end: number) =>
      Promise.all(hosts.map((h) => createVmLoad(h.url, CLIENTS / count, end, body)));
    await split(Date.now() + WARMUP_MS);
    const load1 = loadavg()[0] ?? 0;
    const latencies = (await split(Date.now() + DURATION_MS)).flat().sort((a, b) => a - b);
    return {
      hosts: count,
      clients: CLIENTS,
      requests: latencies.length,
      perSecond: Math.round((latencies.length / (DURATION_MS / 1000)) * 10) / 10,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      loadBefore: Math.round(load1 * 100) / 100,
    };
  } finally {
    for (const h of hosts) await h.destroy();
    await schema.drop();
  }
}

const one = await measure(1);
const two = await measure(2);
console.log(
  `${new Date().toISOString()} cores ${availableParallelism()}, ${DURATION_MS / 1000} s per run`,
);
console.log("| hosts | clients | CreateVm/s | p50 (ms) | p99 (ms) | requests | load (1 min) |");
console.log("|---|---|---|---|---|---|---|");
for (const r of [one, two])
  console.log(
    `| ${r.hosts} | ${r.clients} | ${r.perSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.requests} | ${r.loadBefore} |`,
  );
console.log(`two hosts / one host: ${(two.perSecond / one.perSecond).toFixed(2)}x`);
