// How a change's cost grows with the VMs a host holds: CreateVm, UpdateVmNetworkSecurity and
// IsolateVm end to end through HTTP, with the sandbox driver (real bridges, veths, nftables),
// HIGH profile, at 10 and 1,000 existing VMs (BENCH_SCALE_VMS=5000 adds 5,000); VMs spread over
// bridges of 500 ports (a Linux bridge holds 1,024). Also: idle CPU of metald over 30 s at the
// largest size (the counter poll at its default 2 s), /metrics scrape latency, RSS (and the
// start-up peak, VmHWM), and at the largest size a restart: stop, start on the same database,
// host rebuilt by the start reconcile, until the server reports ready. Each operation's time is
// divided among host commands, nft transactions and SQL statements (metald's own histograms,
// background work included). Root only.
import { readFile } from "node:fs/promises";
import { Pool } from "undici";
import { startMetald } from "../harness/metald-process.js";
import { callVmService, percentile, scaleVmBody } from "./create-vm-load.js";
import { parseWorkTotals, workPerOperation } from "./host-work-breakdown.js";

// BENCH_SCALE_SIZES=10 (comma-separated) measures only those sizes, e.g. to repeat one row.
const SIZES = process.env.BENCH_SCALE_SIZES
  ? process.env.BENCH_SCALE_SIZES.split(",").map(Number)
  : [10, 1000, ...(process.env.BENCH_SCALE_VMS ? [Number(process.env.BENCH_SCALE_VMS)] : [])];
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 20);
const PER_BRIDGE = 500;
const IDLE_MS = 30_000;

let serial = 0;
const createBody = () => scaleVmBody(serial++, PER_BRIDGE);

async function timed(task: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await task();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function summary(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
}

async function procStat(
  pid: number,
): Promise<{ cpuTicks: number; rssMb: number; peakRssMb: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
  // After "comm) ": state is field 3, utime 14, stime 15 (1-based over the whole line).
  const cpuTicks = Number(stat[11]) + Number(stat[12]);
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuTicks, rssMb: Math.round(rssKb / 1024), peakRssMb: Math.round(peakKb / 1024) };
}

const TICKS_PER_SECOND = 100;

async function main(): Promise<void> {
  const metald = await startMetald("pglite", {
    driver: "sandbox",
    logLevel: "warn",
    env: { METALD_EVENT_POLL_MS: "2000" },
  });
  const pid = metald.pid ?? 0;
  const pool = new Pool(metald.url, { connections: 4, pipelining: 1 });
  const vms: string[] = [];
  const create = async () => {
    const res = await callVmService(pool, "CreateVm", createBody());
    vms.push(String(res.vmId ?? res.vm_id));
  };
  const rows: Record<string, unknown>[] = [];
  try {
    const atZero = await procStat(pid);
    console.error(`RSS at 0 VMs: ${atZero.rssMb} MB (start-up peak ${atZero.peakRssMb} MB)`);
    for (const size of SIZES) {
      // Grow to `size` with 4 concurrent clients (not measured).
      while (vms.length < size) {
        const batch = Math.min(4, size - vms.length);
        await Promise.all(Array.from({ length: batch }, create));
      }
      const work = async () => parseWorkTotals(await (await fetch(metald.metricsUrl)).text());
      const beforeCreates = await work();
      const creates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) creates.push(await timed(create));
      const createWork = workPerOperation(beforeCreates, await work(), SAMPLES);
      const beforeUpdates = await work();
      const updates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const vmId = vms[(i * 37) % vms.length];
        const body = JSON.stringify({
          vm_id: vmId,
          security: { rate_limits: { max_pps_per_vm: i % 2 ? 6000 : 5000 } },
        });
        updates.push(await timed(() => callVmService(pool, "UpdateVmNetworkSecurity", body)));
      }
      const updateWork = workPerOperation(beforeUpdates, await work(), SAMPLES);
      const beforeIsolates = await work();
      const isolates: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const body = JSON.stringify({ vm_id: vms[vms.length - 1 - i], reason: "bench" });
        isolates.push(await timed(() => callVmService(pool, "IsolateVm", body)));
      }
      const isolateWork = workPerOperation(beforeIsolates, await work(), SAMPLES);
      const scrapes: number[] = [];
      for (let i = 0; i < SAMPLES; i++)
        scrapes.push(await timed(async () => (await fetch(metald.metricsUrl)).text()));
      const row: Record<string, unknown> = {
        vms: size,
        createMs: summary(creates),
        updateMs: summary(updates),
        isolateMs: summary(isolates),
        scrapeMs: summary(scrapes),
        rssMb: (await procStat(pid)).rssMb,
        work: { create: createWork, update: updateWork, isolate: isolateWork },
      };
      if (size === SIZES[SIZES.length - 1]) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const before = await procStat(pid);
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        const after = await procStat(pid);
        row.idleCpuPercent =
          Math.round(
            ((after.cpuTicks - before.cpuTicks) / TICKS_PER_SECOND / (IDLE_MS / 1000)) * 1000,
          ) / 10;
        // Restart after a kill: a new process on the same database rebuilds the host (links,
        // sets) before it reports ready.
        row.restartMs = Math.round(await timed(() => metald.crashAndRestart()));
        // The new process's totals so far: its start, with the host rebuilt.
        row.restartWork = workPerOperation(new Map(), await work(), 1);
        const restarted = await procStat(metald.pid ?? 0);
        row.restartPeakRssMb = restarted.peakRssMb;
        const health = await fetch(`${metald.url}/health`);
        row.healthAfterRestart = health.status;
      }
      rows.push(row);
      console.error(JSON.stringify(row));
    }
    console.log(
      JSON.stringify(
        {
          bench: "create-vm-scale",
          rssAtZeroMb: atZero.rssMb,
          startupPeakRssMb: atZero.peakRssMb,
          rows,
        },
        null,
        2,
      ),
    );
  } finally {
    await pool.close();
    await metald.destroy();
  }
}

await main();
