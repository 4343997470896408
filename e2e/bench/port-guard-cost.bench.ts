// What the eBPF port guard (max_chain_length, RA option filtering: packages/core/bpf/vm_guard.c)
// costs a VM-to-VM flow: two VMs under the HIGH profile (every nftables control; rate limits off
// so they do not cap the result), measured with the guard attached to both ports and detached
// (tc), nothing else changed. Runs are interleaved: every round measures both cases, in an
// order reversed every other round, so load from other work falls on both alike. TCP (iperf3,
// Gbit/s) and small packets (iperf3 UDP, 64-byte payload, packets per second received). The
// program's own time per packet comes from the kernel's BPF run statistics
// (kernel.bpf_stats_enabled, turned on for the run and restored after), which load on the
// machine hardly moves.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import {
  attachLines,
  compileHostPlan,
  createCommandRunner,
  createInterfaceSpec,
  createNetnsRuntime,
  createSandboxDriver,
  detachLine,
  resolvePolicy,
} from "@metald/core";
import { waitUntil } from "../harness/wait-until.js";
import { formatSpread, summarizeCase } from "./interleaved-summary.js";

const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_GUARD_ROUNDS ?? 5);
const namespace = `mguard-${randomBytes(3).toString("hex")}`;
const pinDir = `/sys/fs/bpf/metald/${namespace}`;
const runner = createCommandRunner();
const driver = createSandboxDriver({ runner, namespace });
const runtime = createNetnsRuntime(runner);

const CASES = ["without", "with"] as const;
type Case = (typeof CASES)[number];

const policy = resolvePolicy(
  {
    profile: "HIGH",
    request: {
      rateLimits: { maxPpsPerVm: 0, maxBandwidthPerVm: 0, maxConnectionsPerVm: 0 },
      neighborDiscovery: { ndRateLimit: 0, icmpv6RateLimit: 0, multicastRateLimit: 0 },
    },
  },
  { trackSources: false },
).policy;
const plan = (vmId: string, address: string) =>
  compileHostPlan({ vmId, tenantId: "guard", isolated: false }, [
    {
      spec: createInterfaceSpec("eth0", { addresses: [{ address, prefixLength: 64, path: "" }] }),
      policy,
    },
  ]);
const serverPlan = plan("vm-guard-server", "2001:db8:78::1");
const clientPlan = plan("vm-guard-client", "2001:db8:78::2");
const ports = [serverPlan, clientPlan].map((p) => p.ports[0]?.name ?? "");

const inNs = (ns: string, args: string[]) =>
  execFileSync("ip", ["netns", "exec", ns, ...args], { maxBuffer: 1 << 26 }).toString();
// tc reaches the pinned programs only without `ip netns exec`'s fresh /sys.
const tcBatch = (lines: string[]) =>
  execFileSync("nsenter", [`--net=/run/netns/${namespace}`, "tc", "-batch", "-"], {
    input: `${lines.join("\n")}\n`,
  });

const attached = () =>
  execFileSync("nsenter", [
    `--net=/run/netns/${namespace}`,
    "tc",
    "filter",
    "show",
    "dev",
    ports[0] ?? "",
    "egress",
  ])
    .toString()
    .includes("to_vm");

let current: Case = "with";
function setCase(c: Case): void {
  if (c === current) return;
  tcBatch(c === "with" ? ports.flatMap((p) => attachLines(p, pinDir)) : ports.map(detachLine));
  current = c;
}

function iperf(args: string[]): unknown {
  return JSON.parse(
    inNs(clientPlan.guestNamespace, [
      "iperf3",
      "-6",
      "-J",
      "-c",
      "2001:db8:78::1",
      "-t",
      String(SECONDS),
      ...args,
    ]),
  );
}
const tcp = () =>
  (iperf([]) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
    .bits_per_second / 1e9;
function udpPps(): number {
  const { end } = iperf(["-u", "-b", "0", "-l", "64"]) as {
    end: { sum: { packets: number; lost_packets: number; seconds: number } };
  };
  return (end.sum.packets - end.sum.lost_packets) / end.sum.seconds;
}

const started = new Date();
const loadBefore = loadavg();
const samples: Record<Case, { gbit: number[]; pps: number[] }> = {
  without: { gbit: [], pps: [] },
  with: { gbit: [], pps: [] },
};
const STATS = "/proc/sys/kernel/bpf_stats_enabled";
const statsBefore = readFileSync(STATS, "utf8").trim();
const programStats = (name: string) => {
  const prog = JSON.parse(
    execFileSync("bpftool", ["-j", "prog", "show", "pinned", `${pinDir}/${name}`]).toString(),
  ) as { run_time_ns?: number; run_cnt?: number };
  return { ns: prog.run_time_ns ?? 0, runs: prog.run_cnt ?? 0 };
};
let perPacket = "";
let server: ReturnType<typeof spawn> | undefined;
try {
  writeFileSync(STATS, "1");
  await driver.init();
  for (const p of [serverPlan, clientPlan]) {
    await driver.applyVm(p);
    await runtime.boot(p);
  }
  if (!attached()) throw new Error("the port guard is not attached (does it load here?)");
  for (const p of [serverPlan, clientPlan])
    await waitUntil(
      `DAD in ${p.guestNamespace}`,
      () =>
        !inNs(p.guestNamespace, ["ip", "-6", "addr", "show", "dev", "eth0"]).includes("tentative"),
      { timeoutMs: 20_000 },
    );
  server = spawn("ip", ["netns", "exec", serverPlan.guestNamespace, "iperf3", "-s", "-6"], {
    stdio: "ignore",
  });
  await waitUntil(
    "iperf3 server",
    () => inNs(serverPlan.guestNamespace, ["ss", "-Hltn", "sport", "= :5201"]).trim() !== "",
    { timeoutMs: 20_000 },
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of round % 2 === 0 ? CASES : [...CASES].reverse()) {
      setCase(c);
      samples[c].gbit.push(tcp());
      samples[c].pps.push(udpPps());
    }
  }
  perPacket = ["from_vm", "to_vm"]
    .map((name) => {
      const { ns, runs } = programStats(name);
      return `${name}: ${runs.toLocaleString("en-US")} packets, ${(ns / Math.max(runs, 1)).toFixed(0)} ns each`;
    })
    .join("; ");
} finally {
  writeFileSync(STATS, statsBefore);
  server?.kill();
  await driver
    .destroy([serverPlan.guestNamespace, clientPlan.guestNamespace])
    .catch(() => undefined);
  spawnSync("ip", ["netns", "delete", namespace]);
  rmSync(pinDir, { recursive: true, force: true });
}
const loadAfter = loadavg();
console.log(
  `iperf3 VM to VM under HIGH, ${SECONDS} s per run, ${ROUNDS} interleaved rounds; ${started.toISOString()}; ` +
    `load average (1/5/15 min) ${loadBefore.map((l) => l.toFixed(1)).join("/")} before, ` +
    `${loadAfter.map((l) => l.toFixed(1)).join("/")} after`,
);
console.log(
  `program time per packet (kernel run statistics, packets of the "with" runs): ${perPacket}`,
);
console.log("");
console.log(
  "| port guard | TCP Gbit/s median (min–max) | of without | UDP 64 B pps median (min–max) | of without |",
);
console.log("|---|---|---|---|---|");
for (const c of CASES) {
  const gbit = summarizeCase(samples[c].gbit, samples.without.gbit);
  const pps = summarizeCase(samples[c].pps, samples.without.pps);
  console.log(
    `| ${c} | ${formatSpread(gbit, 2)} | ${gbit.percentOfBaseline.toFixed(0)} % | ${formatSpread(pps, 0)} | ${pps.percentOfBaseline.toFixed(0)} % |`,
  );
}
