// Address allocation from a /48 with 64 concurrent clients, on PostgreSQL and PGlite: each
// allocation draws an offset under the pool row's lock and stores the address (its primary key
// is the guarantee against handing it out twice), as CreateVm does. 5 s per database.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPoolRepository, openDatabase, type SqlClient } from "@metald/db";
import { createAddressAllocator } from "../../apps/metald/dist/ipam/address-allocator.js";
import { POSTGRES_URL } from "../harness/metald-process.js";

const CLIENTS = 64;
const SECONDS = 5;

async function run(db: SqlClient) {
  const pools = createPoolRepository(db);
  await pools.create({
    id: "bench",
    prefix: "2600:beef:1000::/48",
    description: "",
    tenantId: "bench",
    rateLimit: 0,
  });
  const allocator = createAddressAllocator(pools);
  const latencies: number[] = [];
  const seen = new Set<string>();
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        const start = process.hrtime.bigint();
        const [a] = (await allocator.allocate("bench", 1)) ?? [];
        if (!a) throw new Error("no pool");
        await db.query(
          "INSERT INTO ipv6_allocations (address, prefix_length, pool_id, interface_id, allocated_at) VALUES ($1, $2, $3, 'eth0', now())",
          [a.address, a.prefixLength, a.poolId],
        );
        latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (seen.has(a.address)) throw new Error(`${a.address} handed out twice`);
        seen.add(a.address);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]?.toFixed(1);
  return { perSecond: Math.round(latencies.length / SECONDS), p50: p(0.5), p99: p(0.99) };
}

console.log("| database | clients | allocations/s | p50 (ms) | p99 (ms) |");
console.log("|---|---|---|---|---|");
{
  const schema = `metald_bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({
    databaseUrl: POSTGRES_URL,
    dataDir: "",
    schema,
    poolSize: CLIENTS,
  });
  try {
    const r = await run(db);
    console.log(
      `| PostgreSQL | ${CLIENTS} | ${r.perSecond.toLocaleString("en")} | ${r.p50} | ${r.p99} |`,
    );
  } finally {
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}
{
  const dir = await mkdtemp(join(tmpdir(), "metald-bench-"));
  const db = await openDatabase({ dataDir: dir });
  try {
    const r = await run(db);
    console.log(
      `| PGlite | ${CLIENTS} | ${r.perSecond.toLocaleString("en")} | ${r.p50} | ${r.p99} |`,
    );
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
