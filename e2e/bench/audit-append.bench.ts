// What the audit trail's append costs a VM update, through the real repository on PostgreSQL and
// PGlite: VmRepository.updateConfig with the chain's writer (row lock on the head, hash, one
// statement for record and head), the same with the payload encrypted (AES-256-GCM) and a
// checkpoint every 100 records, the single unchained INSERT metald did before, and a writer that
// writes nothing. The variants run interleaved, so the machine's load falls on each alike
// (BENCH_AUDIT_UPDATES, default 600 per variant).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type ChainedAuditRecord, parseAuditKeyring } from "@metald/core";
import {
  type AuditWriter,
  createAuditWriter,
  createVmRepository,
  openDatabase,
  type SqlClient,
} from "@metald/db";
import { POSTGRES_URL } from "../harness/metald-process.js";

const N = Number(process.env.BENCH_AUDIT_UPDATES ?? 600);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

const ring = parseAuditKeyring(`bench ${randomBytes(32).toString("base64")}`, "bench");
const key = randomBytes(32);
// One writer for both chained variants, as a server has one: two writers taking turns would
// each find the head moved by the other and always take the locked path.
let sealed = false;
const chained = createAuditWriter({
  keyring: () => (sealed ? ring : undefined),
  checkpointKey: () => (sealed ? key : undefined),
  checkpointEvery: 100,
});
const VARIANTS: Record<string, AuditWriter> = {
  "no audit record": { append: async () => ({}) as ChainedAuditRecord },
  // What metald wrote before migration 9: one INSERT, no chain.
  "unchained insert (before)": {
    async append(tx, r) {
      await tx.query(
        `INSERT INTO audit_records (seq, id, occurred_at, actor, action, tenant_id, vm_id, details)
         VALUES (nextval('audit_records_seq_seq'), $1, $2, $3, $4,
                 (SELECT tenant_id FROM vms WHERE id = $5), $5, $6)`,
        [r.id, r.occurredAt.toISOString(), r.actor, r.action, r.vmId, JSON.stringify(r.details)],
      );
      return {} as ChainedAuditRecord;
    },
  },
  "chained record": {
    append: (tx, r, o) => {
      sealed = false;
      return chained.append(tx, r, o);
    },
  },
  "chained, encrypted, checkpoints": {
    append: (tx, r, o) => {
      sealed = true;
      return chained.append(tx, r, o);
    },
  },
};

async function run(db: SqlClient, label: string): Promise<string[]> {
  // The unchained rows take seqs from the old sequence, far above the chain's.
  await db.query("SELECT setval('audit_records_seq_seq', 1000000000)");
  const at = new Date();
  const config = { cpu: { vcpu_count: 2 }, ipv6: { profile: "HIGH", rate_limit_pps: 5000 } };
  const state = Object.entries(VARIANTS).map(([name, audit], i) => ({
    name,
    repo: createVmRepository(db, { audit }),
    id: `vm-bench-${i}`,
    version: 1,
    ms: [] as number[],
  }));
  for (const s of state)
    await s.repo.insert({
      id: s.id,
      tenantId: "bench",
      hostId: "h",
      state: "RUNNING",
      applicationTier: "web",
      config,
      spec: config,
      effective: [config],
      addresses: [
        { address: `2001:db8:be::${s.id.slice(-1)}`, prefixLength: 64, interfaceId: "eth0" },
      ],
      createdAt: at,
      audit: { id: `audit-${s.id}`, actor: "bench", action: "vm.create", details: {} },
    });
  for (let i = 0; i < N + 50; i++) {
    // Rotated order: no variant always runs first after the others.
    for (let k = 0; k < state.length; k++) {
      const s = state[(i + k) % state.length];
      if (!s) continue;
      const started = process.hrtime.bigint();
      await s.repo.updateConfig(
        s.id,
        s.version,
        {
          config: { ...config, n: i },
          spec: config,
          effective: [config],
          addresses: [
            { address: `2001:db8:be::${s.id.slice(-1)}`, prefixLength: 64, interfaceId: "eth0" },
          ],
        },
        new Date(),
        {
          id: `audit-${s.id}-${i}`,
          actor: "operator:bench",
          action: "vm.update",
          details: { fields: ["ipv6"] },
          before: config,
          after: { ...config, n: i },
        },
      );
      s.version++;
      // The first 50 warm the caches and the JIT.
      if (i >= 50) s.ms.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const none = percentile(state[0]?.ms ?? [], 50);
  return state.map(
    (s) =>
      `${label.padEnd(10)} ${s.name.padEnd(32)} p50 ${percentile(s.ms, 50).toFixed(3)} ms  p99 ${percentile(s.ms, 99).toFixed(3)} ms  added p50 ${(percentile(s.ms, 50) - none).toFixed(3)} ms`,
  );
}

const lines: string[] = [];
{
  const schema = `metald_bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({ databaseUrl: POSTGRES_URL, dataDir: "", schema, poolSize: 4 });
  try {
    lines.push(...(await run(db, "PostgreSQL")));
  } finally {
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  }
}
{
  const dir = await mkdtemp(join(tmpdir(), "metald-bench-"));
  const db = await openDatabase({ dataDir: dir });
  try {
    lines.push(...(await run(db, "PGlite")));
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
console.log(`audit append: VmRepository.updateConfig, ${N} updates per variant`);
for (const line of lines) console.log(line);
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(", ")}`,
);
