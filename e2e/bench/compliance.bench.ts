// Re-evaluating compliance for every VM after a tenant-layer change (a SIGHUP reload), on PGlite
// and PostgreSQL, with N VMs (default 5,000; BENCH_COMPLIANCE_VMS): half of them under PCI DSS
// and SOC 2, a third on the LOW profile, over 10 tenants. Reloads: one tenant put under HIPAA
// (its 500 VMs change), every tenant put under HIPAA (every VM changes, 12,500 violations open),
// nothing changed, HIPAA dropped again (12,500 violations resolve). Reported: reading the
// VMs, the pure evaluation, and the status write (statuses, violations opened and resolved,
// tenant statuses), the fastest of 3 rounds (BENCH_COMPLIANCE_ROUNDS) and the median, with the
// CPU time of this process (all of it for PGlite, which runs in-process). The target is under
// 1 s for evaluation plus write.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson } from "@bufbuild/protobuf";
import {
  type ComplianceSubject,
  evaluateCompliance,
  type HostEvidence,
  normalizeCreateVm,
  type PolicyLayer,
  resolvePolicy,
} from "@metald/core";
import { createVmRepository, openDatabase, type SqlClient } from "@metald/db";
import { CreateVmRequestSchema } from "@metald/proto";
import {
  createComplianceMonitor,
  type ReevaluationStats,
} from "../../apps/metald/dist/compliance/compliance-monitor.js";
import { complianceSubject } from "../../apps/metald/dist/compliance/compliance-subject.js";
import { POSTGRES_URL } from "../harness/metald-process.js";

const N = Number(process.env.BENCH_COMPLIANCE_VMS ?? 5_000);
const TENANTS = 10;
const ROUNDS = Number(process.env.BENCH_COMPLIANCE_ROUNDS ?? 3);
const HOST: HostEvidence = { packetFiltering: true, unverifiedReason: "", vlanDevices: false };

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
} as unknown as Parameters<typeof createComplianceMonitor>[0]["logger"];

function vmRequest(i: number) {
  const hi = (i >>> 16).toString(16);
  const lo = (i & 0xffff).toString(16);
  const profile = i % 3 === 0 ? "SECURITY_PROFILE_LOW" : "SECURITY_PROFILE_HIGH";
  return fromJson(CreateVmRequestSchema, {
    config: {
      tenant_id: `tenant-${i % TENANTS}`,
      ipv6_config: {
        addresses: [`2001:db8:${hi}:${lo}::10/64`],
        security: {
          profile,
          ...(i % 2 === 0 && {
            compliance: {
              frameworks: ["COMPLIANCE_FRAMEWORK_PCI_DSS", "COMPLIANCE_FRAMEWORK_SOC2"],
              data_retention_days: 400,
              encryption: { require_tls: true },
            },
          }),
        },
      },
    },
  });
}

async function seed(db: SqlClient) {
  const vms = createVmRepository(db);
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const { spec, config } = normalizeCreateVm(vmRequest(i), {
      defaultProfile: "HIGH",
      defaultTenant: "default",
    });
    const effective = spec.interfaces.map((iface) => ({
      interfaceId: iface.id,
      policy: resolvePolicy(
        { profile: spec.profile, request: iface.requestLayer, switches: iface.switches },
        { trackSources: false },
      ).policy,
    }));
    await vms.insert({
      id: `vm-bench-${i.toString().padStart(6, "0")}`,
      tenantId: spec.tenantId,
      hostId: "bench",
      state: "CREATED",
      applicationTier: "",
      config,
      spec,
      effective,
      addresses: [],
      createdAt: new Date(),
      audit: { id: `audit-bench-${i}`, actor: "bench", action: "vm.create", details: {} },
    });
  }
  return (Date.now() - started) / 1000;
}

async function run(db: SqlClient, name: string) {
  const seedS = await seed(db);
  let tenantLayer: (tenantId: string) => PolicyLayer | undefined = () => undefined;
  let stored = 0;
  const monitor = createComplianceMonitor({
    vms: createVmRepository(db),
    compliance: (await import("@metald/db")).createComplianceRepository(db),
    events: {
      async store(events) {
        stored += events.length;
      },
    },
    tenantLayer: (tenantId) => tenantLayer(tenantId),
    now: () => new Date(),
    logger: silent,
  });
  monitor.setHost(HOST);
  const rows: string[] = [];
  const runs = new Map<string, { s: ReevaluationStats; totalMs: number; cpuMs: number }[]>();
  const measure = async (label: string) => {
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    const s = await monitor.reevaluateAll(label);
    const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
    const used = process.cpuUsage(cpu);
    const list = runs.get(label) ?? [];
    list.push({ s, totalMs, cpuMs: (used.user + used.system) / 1000 });
    runs.set(label, list);
  };
  await measure("first evaluation");
  const hipaa: PolicyLayer = { compliance: { frameworks: ["HIPAA"] } };
  for (let round = 0; round < ROUNDS; round++) {
    tenantLayer = (id) => (id === "tenant-0" ? hipaa : undefined);
    await measure("one tenant's layer adds HIPAA");
    tenantLayer = () => hipaa;
    await measure("every tenant's layer adds HIPAA");
    await measure("nothing changed");
    tenantLayer = () => undefined;
    await measure("every tenant's layer drops HIPAA");
  }
  for (const [label, list] of runs) {
    // The fastest run: the machine is shared, and slower runs measure the neighbours.
    const best = list.reduce((a, b) =>
      a.s.evaluateMs + a.s.writeMs <= b.s.evaluateMs + b.s.writeMs ? a : b,
    );
    const { s } = best;
    const median = [...list].map((r) => r.s.evaluateMs + r.s.writeMs).sort((a, b) => a - b)[
      Math.floor(list.length / 2)
    ] as number;
    rows.push(
      `| ${name} | ${label} | ${list.length} | ${s.vms} | ${s.opened} | ${s.resolved} | ${s.readMs.toFixed(0)} | ${s.evaluateMs.toFixed(0)} | ${s.writeMs.toFixed(0)} | **${(s.evaluateMs + s.writeMs).toFixed(0)}** | ${median.toFixed(0)} | ${best.totalMs.toFixed(0)} | ${best.cpuMs.toFixed(0)} |`,
    );
  }
  // The pure evaluation alone, on subjects built once.
  const records = await createVmRepository(db).list({ limit: N });
  const subjects: ComplianceSubject[] = records.map((r) =>
    complianceSubject(r, { compliance: { frameworks: ["HIPAA"] } }),
  );
  const started = process.hrtime.bigint();
  for (const s of subjects) evaluateCompliance(s, HOST);
  const pureMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { rows, seedS, pureMs, stored };
}

console.log(
  `Compliance re-evaluation of ${N.toLocaleString("en")} VMs (${TENANTS} tenants). Milliseconds.\n`,
);
console.log(
  "| database | run | runs | VMs | opened | resolved | read VMs + statuses | evaluate | write | evaluate + write (fastest) | evaluate + write (median) | total | CPU of this process |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
const notes: string[] = [];
{
  const schema = `metald_bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({ databaseUrl: POSTGRES_URL, dataDir: "", schema, poolSize: 4 });
  try {
    const r = await run(db, "PostgreSQL");
    for (const row of r.rows) console.log(row);
    notes.push(
      `PostgreSQL: seeding took ${r.seedS.toFixed(1)} s; pure evaluation of ${N} VMs alone ${r.pureMs.toFixed(0)} ms; ${r.stored} events`,
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
    const r = await run(db, "PGlite");
    for (const row of r.rows) console.log(row);
    notes.push(
      `PGlite: seeding took ${r.seedS.toFixed(1)} s; pure evaluation of ${N} VMs alone ${r.pureMs.toFixed(0)} ms; ${r.stored} events`,
    );
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}
console.log(`\n${notes.join("\n")}`);
console.log(
  `load average at the end: ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(", ")}`,
);
