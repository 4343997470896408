// Sustained event ingest on PostgreSQL and PGlite: (1) kernel samples: a real NFLOG capture
// parsed, summarized and attributed to a VM, per second; (2) events emitted into the pipeline,
// stored in batches and pushed through the SIEM outbox to a loopback receiver, per second,
// with both running at once as in production (BENCH_EVENTS, default 200,000).

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPcapStreamParser,
  createSampleAggregator,
  defaultSiemRoutes,
  parseNflogRecord,
} from "@metald/core";
import {
  createSecurityEventRepository,
  createSiemDeliveryRepository,
  openDatabase,
  type SqlClient,
} from "@metald/db";
import { createEventPipeline } from "../../apps/metald/dist/events/event-pipeline.js";
import { recordSample } from "../../apps/metald/dist/events/nflog-sampler.js";
import { startSiemForwarder } from "../../apps/metald/dist/events/siem-forwarder.js";
import { POSTGRES_URL } from "../harness/metald-process.js";

const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {} } as never;

function samplesPerSecond(): number {
  const capture = readFileSync(
    new URL(
      "../../packages/core/src/events/nflog/fixtures/bridge-ra-inet-hbh.pcap",
      import.meta.url,
    ),
  );
  const records = createPcapStreamParser()
    .push(capture)
    .map((r) => parseNflogRecord(r.data, { littleEndian: r.littleEndian }));
  const aggregator = createSampleAggregator();
  const vm = { vmId: "vm-bench" };
  const options = {
    aggregator,
    attribution: () => ({ byPort: new Map(), byAddress: new Map([["2001:db8::bad", vm]]) }),
    portName: () => "vmbench0",
  };
  const rounds = 100_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    for (const record of records) recordSample(record, options);
    if (i % 1000 === 0) aggregator.take("vm-bench", "ra_guard");
  }
  return (rounds * records.length) / (Number(process.hrtime.bigint() - start) / 1e9);
}

// The SIEM is another machine in production: here another process, counting the records.
const RECEIVER = `
  let received = 0;
  require("node:http").createServer((req, res) => {
    if (req.method === "GET") return res.end(String(received));
    req.on("data", (c) => { for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) received++; });
    req.on("end", () => res.writeHead(200).end());
  }).listen(0, "127.0.0.1", function () { console.log(this.address().port); });
`;

async function startReceiver() {
  const child = spawn(process.execPath, ["-e", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    received: async () => Number(await (await fetch(url)).text()),
    stop: () => child.kill(),
  };
}

async function ingest(db: SqlClient) {
  const receiver = await startReceiver();
  const events = createSecurityEventRepository(db);
  let serial = 0;
  const pipeline = createEventPipeline({
    repository: events,
    eventId: () => `evt-bench-${(serial++).toString(36).padStart(10, "0")}`,
    now: () => new Date(),
    defaultRetentionDays: 90,
    logger: quiet,
  });
  const forwarder = startSiemForwarder({
    name: `bench-${randomBytes(3).toString("hex")}`,
    endpoint: receiver.url,
    token: async () => undefined,
    routes: defaultSiemRoutes(["json"]).map((r) => ({ ...r, batchSize: 1000 })),
    events,
    deliveries: createSiemDeliveryRepository(db),
    retry: { maxRetries: 3, retryDelayMs: 100, backoffMultiplier: 2, maxRetryDelayMs: 1000 },
    flushIntervalMs: 50,
    maxBufferSize: 10 * N,
    context: { hostname: "bench", productVersion: "0" },
    metrics: { sent() {}, failed() {}, dropped() {}, sampledOut() {}, backlog() {} },
    logger: quiet,
  });
  pipeline.onStored(() => forwarder.wake());
  // Give the forwarder its positions before the first event.
  await new Promise((r) => setTimeout(r, 200));
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i += 1000) {
    pipeline.emit(
      Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({
        vmId: `vm-${(i + j) % 1000}`,
        customerId: `tenant-${(i + j) % 50}`,
        eventType: "ra_guard_block",
        severity: "warning" as const,
        sourceIp: `2001:db8:bad::${((i + j) % 65535).toString(16)}`,
        description: "12 router advertisements from the VM blocked by RA guard",
        details: { control: "ra_guard", packets: 12, samples: 3 },
        count: 12,
      })),
    );
    // Let the store keep up, as a poller's interval would.
    if (i % 10_000 === 0) await pipeline.flush();
  }
  await pipeline.flush();
  const storedS = Number(process.hrtime.bigint() - start) / 1e9;
  while ((await receiver.received()) < N) await new Promise((r) => setTimeout(r, 10));
  const deliveredS = Number(process.hrtime.bigint() - start) / 1e9;
  await forwarder.stop();
  await pipeline.close();
  receiver.stop();
  return { stored: N / storedS, delivered: N / deliveredS };
}

async function onPostgres() {
  const schema = `metald_bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({ databaseUrl: POSTGRES_URL, dataDir: "", schema });
  try {
    return await ingest(db);
  } finally {
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}

async function onPglite() {
  const dir = await mkdtemp(join(tmpdir(), "metald-bench-"));
  const db = await openDatabase({ dataDir: dir });
  try {
    return await ingest(db);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(
  `kernel samples parsed, summarized and attributed: ${Math.round(samplesPerSecond()).toLocaleString("en")}/s`,
);
console.log(
  `| database | events | stored (events/s) | stored and delivered to the SIEM (events/s) |`,
);
console.log("|---|---|---|---|");
for (const [name, run] of [
  ["PostgreSQL", onPostgres],
  ["PGlite", onPglite],
] as const) {
  const r = await run();
  console.log(
    `| ${name} | ${N.toLocaleString("en")} | ${Math.round(r.stored).toLocaleString("en")} | ${Math.round(r.delivered).toLocaleString("en")} |`,
  );
}
