// Where metald's CPU goes as a host fills: runs metald (sandbox driver, PGlite) under
// `--cpu-prof`, grows it to each size of BENCH_PROFILE_SIZES (default 1000,2000) through the API
// and marks four phases per size: 30 s idle, 20 CreateVm, 20 UpdateVmNetworkSecurity, 20
// /metrics scrapes. After a clean stop the profile is cut by those marks (V8 stamps samples
// with the monotonic clock this process reads too) and, per phase, the top functions by self
// time and metald's own functions by time with their callees are printed. Root only.
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool } from "undici";
import { startMetald } from "../harness/metald-process.js";
import { callVmService, scaleVmBody } from "./create-vm-load.js";
import { parseWorkTotals, workPerOperation } from "./host-work-breakdown.js";

const SIZES = (process.env.BENCH_PROFILE_SIZES ?? "1000,2000").split(",").map(Number);
// A new directory per run: the profiles are told apart by their order in it.
const DIR = process.env.BENCH_PROFILE_DIR ?? (await mkdtemp(join(tmpdir(), "metald-cpu-profile-")));
const IDLE_MS = Number(process.env.BENCH_PROFILE_IDLE_MS ?? 30_000);
const PER_BRIDGE = 500;
// BENCH_PROFILE_RESTART=1: after the last size, restart metald on the same database and
// profile its start (host rebuilt, until /health answers) too.
const RESTART = process.env.BENCH_PROFILE_RESTART === "1";
// BENCH_PROFILE_PHASES=0 skips the idle, create and scrape phases (to profile only a restart).
const PHASES = process.env.BENCH_PROFILE_PHASES !== "0";

let serial = 0;
const vmIds: string[] = [];

const createVm = async (pool: Pool) => {
  const res = await callVmService(pool, "CreateVm", scaleVmBody(serial++, PER_BRIDGE));
  vmIds.push(String(res.vmId ?? res.vm_id));
};

/** Alternates one VM's packet-rate limit, as the scale benchmark's updates do. */
const updateVm = (pool: Pool, i: number) =>
  callVmService(
    pool,
    "UpdateVmNetworkSecurity",
    JSON.stringify({
      vm_id: vmIds[(i * 37) % vmIds.length],
      security: { rate_limits: { max_pps_per_vm: i % 2 ? 6000 : 5000 } },
    }),
  );

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Phase {
  name: string;
  startUs: number;
  endUs: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const frameKey = (f: ProfileNode["callFrame"]) => {
  const where = f.url
    .replace(/^.*node_modules\/\.pnpm\//, "")
    .replace(/^.*\/(apps|packages)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
};

function report(profile: Profile, phase: Phase): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  // Time with the function anywhere on the stack, for metald's own code: where a change's
  // CPU goes by caller, not only by the leaf (a PGlite parse, a GC).
  const inclusive = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < phase.startUs || t > phase.endUs) continue;
    const node = byId.get(profile.samples[i] ?? -1);
    if (!node) continue;
    if (node.callFrame.functionName === "(idle)") continue;
    const dt = (profile.timeDeltas[i + 1] ?? 1000) / 1000;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
    const onStack = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame && /\/(apps|packages)\//.test(frame.url)) onStack.add(frameKey(frame));
    }
    for (const k of onStack) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
  }
  const wall = (phase.endUs - phase.startUs) / 1000;
  console.log(`\n## ${phase.name}: ${Math.round(total)} ms CPU over ${Math.round(wall)} ms wall`);
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [key, ms] of top) console.log(`${ms.toFixed(0).padStart(7)} ms  ${key}`);
  console.log("  with callees, metald's own functions:");
  const callers = [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  for (const [key, ms] of callers) console.log(`${ms.toFixed(0).padStart(7)} ms  ${key}`);
}

async function main(): Promise<void> {
  const metald = await startMetald("pglite", {
    driver: "sandbox",
    logLevel: "warn",
    env: {
      METALD_EVENT_POLL_MS: "2000",
    },
    nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${DIR}`, "--cpu-prof-interval=500"],
  });
  const pool = new Pool(metald.url, { connections: 4, pipelining: 1 });
  const phases: Phase[] = [];
  const mark = async (name: string, task: () => Promise<unknown>) => {
    const startUs = nowUs();
    await task();
    phases.push({ name, startUs, endUs: nowUs() });
  };
  let vms = 0;
  let restartPhase: Phase | undefined;
  try {
    for (const size of SIZES) {
      const growStart = Date.now();
      while (vms < size) {
        const batch = Math.min(4, size - vms);
        await Promise.all(Array.from({ length: batch }, () => createVm(pool)));
        vms += batch;
      }
      console.error(`grown to ${size} VMs in ${Date.now() - growStart} ms`);
      if (!PHASES) continue;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await mark(
        `${size} VMs: idle ${IDLE_MS / 1000} s`,
        () => new Promise((resolve) => setTimeout(resolve, IDLE_MS)),
      );
      await mark(`${size} VMs: 20 CreateVm`, async () => {
        for (let i = 0; i < 20; i++) await createVm(pool);
      });
      vms += 20;
      await mark(`${size} VMs: 20 UpdateVmNetworkSecurity`, async () => {
        for (let i = 0; i < 20; i++) await updateVm(pool, i);
      });
      await mark(`${size} VMs: 20 /metrics scrapes`, async () => {
        for (let i = 0; i < 20; i++) await (await fetch(metald.metricsUrl)).text();
      });
    }
    if (RESTART) {
      const startUs = nowUs();
      await metald.restart();
      restartPhase = { name: `restart with ${vms} VMs, to ready`, startUs, endUs: nowUs() };
      // What the start waited on besides CPU: its host commands and SQL statements so far.
      const work = parseWorkTotals(await (await fetch(metald.metricsUrl)).text());
      console.log(
        `restart: ${Math.round((restartPhase.endUs - startUs) / 1000)} ms; host commands and SQL`,
        JSON.stringify(workPerOperation(new Map(), work, 1)),
      );
    }
  } finally {
    await pool.close();
    await metald.destroy();
  }
  // One profile per process, named by start time: the first is the one the phases ran in.
  const files = (await readdir(DIR)).filter((f) => f.endsWith(".cpuprofile")).sort();
  const read = async (file: string | undefined) => {
    if (!file) throw new Error(`no profile written to ${DIR}`);
    console.log(`profile ${join(DIR, file)}`);
    return JSON.parse(await readFile(join(DIR, file), "utf8")) as Profile;
  };
  if (phases.length > 0) {
    const profile = await read(files[0]);
    for (const phase of phases) report(profile, phase);
  }
  if (restartPhase) report(await read(files[files.length - 1]), restartPhase);
}

await main();
