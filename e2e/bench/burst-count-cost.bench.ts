// What counting the burst allowance costs per packet: small UDP packets (iperf3, 64-byte
// payloads, unlimited send rate) from one VM to another through the tenant bridge, with the
// sender's max_pps_per_vm set far above what the host can send (so no packet is dropped),
// measured three ways on the same tables, in turn: the pps limiter with its burst-counting rule
// (as metald programs it), the limiter alone (the burst rule deleted: metald before the burst
// count), and neither (the limiter deleted too).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import {
  compileHostPlan,
  createCommandRunner,
  createInterfaceSpec,
  createNetnsRuntime,
  createSandboxDriver,
  type HostPlan,
  type InterfaceSpec,
  resolvePolicy,
} from "@metald/core";
import { waitUntil } from "../harness/wait-until.js";

const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const namespace = `mburst-${randomBytes(3).toString("hex")}`;
const runner = createCommandRunner();
const driver = createSandboxDriver({ runner, namespace });
const runtime = createNetnsRuntime(runner);

function spec(id: string, address: string): InterfaceSpec {
  return createInterfaceSpec(id, { addresses: [{ address, prefixLength: 64, path: "" }] });
}

function policy(maxPpsPerVm: number) {
  return resolvePolicy(
    {
      profile: "HIGH",
      request: {
        rateLimits: { maxPpsPerVm, maxBandwidthPerVm: 0, maxConnectionsPerVm: 0 },
        neighborDiscovery: { ndRateLimit: 0, icmpv6RateLimit: 0, multicastRateLimit: 0 },
        rules: { ingress: [], egress: [] },
      },
    },
    { trackSources: false },
  ).policy;
}

const serverPlan = compileHostPlan(
  { vmId: "vm-burst-server", tenantId: "burst", isolated: false },
  [{ spec: spec("eth0", "2001:db8:78::1"), policy: policy(0) }],
);
const clientPlan = compileHostPlan(
  { vmId: "vm-burst-client", tenantId: "burst", isolated: false },
  [{ spec: spec("eth0", "2001:db8:78::2"), policy: policy(100_000_000) }],
);

function inNs(ns: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, ...args]).toString();
}

async function waitForDad(plan: HostPlan): Promise<void> {
  await waitUntil(
    "duplicate address detection",
    () =>
      !inNs(plan.guestNamespace, ["ip", "-6", "addr", "show", "dev", "eth0"]).includes("tentative"),
    { timeoutMs: 10_000 },
  );
}

interface Sample {
  /** Packets per second the server received. */
  rate: number;
  /**
   * The sender's CPU time per packet sent, in µs (iperf3's host CPU share × duration): the
   * bridge and its nftables rules run in the sender's context on a veth, so this follows the
   * per-packet cost and is less swayed by other load on the host than the rate.
   */
  cpuPerPacketUs: number;
}

async function udpRun(): Promise<Sample> {
  spawnSync("ip", ["netns", "exec", serverPlan.guestNamespace, "iperf3", "-s", "-D", "-1"]);
  await waitUntil(
    "iperf3 to listen",
    () => inNs(serverPlan.guestNamespace, ["ss", "-Htln", "sport", "= :5201"]).includes("5201"),
    { timeoutMs: 10_000 },
  );
  const out = inNs(clientPlan.guestNamespace, [
    "iperf3",
    "-6",
    "-u",
    "-b",
    "0",
    "-l",
    "64",
    "-J",
    "-c",
    "2001:db8:78::1",
    "-t",
    String(SECONDS),
  ]);
  const end = (
    JSON.parse(out) as {
      end: {
        sum: { packets: number; lost_packets: number; seconds: number };
        cpu_utilization_percent: { host_total: number };
      };
    }
  ).end;
  return {
    rate: (end.sum.packets - end.sum.lost_packets) / end.sum.seconds,
    cpuPerPacketUs:
      ((end.cpu_utilization_percent.host_total / 100) * end.sum.seconds * 1e6) / end.sum.packets,
  };
}

/** Deletes the rate_limits rule whose text contains `marker`. */
function deleteRule(marker: string): void {
  const listing = inNs(namespace, [
    "nft",
    "-a",
    "list",
    "chain",
    "bridge",
    "metald_security",
    "rate_limits",
  ]);
  const line = listing.split("\n").find((l) => l.includes(marker));
  const handle = line && /# handle (\d+)/.exec(line)?.[1];
  if (!handle) throw new Error(`no rule with ${marker} in\n${listing}`);
  inNs(namespace, [
    "nft",
    "delete",
    "rule",
    "bridge",
    "metald_security",
    "rate_limits",
    "handle",
    handle,
  ]);
}

const results: Record<string, Sample[]> = {
  "pps limit with burst counting": [],
  "pps limit alone": [],
  "no pps limit": [],
};
try {
  for (let run = 0; run < RUNS; run++) {
    await driver.init();
    for (const plan of [serverPlan, clientPlan]) {
      await driver.applyVm(plan);
      await runtime.boot(plan);
    }
    for (const plan of [serverPlan, clientPlan]) await waitForDad(plan);
    results["pps limit with burst counting"]?.push(await udpRun());
    deleteRule("@rlb_pps_");
    results["pps limit alone"]?.push(await udpRun());
    deleteRule("@rlm_pps_");
    results["no pps limit"]?.push(await udpRun());
  }
} finally {
  // The class's rules are gone, which removeVm would refuse: rebuild the tables first.
  await driver.init().catch(() => undefined);
  await driver.removeVm(serverPlan).catch(() => undefined);
  await driver.removeVm(clientPlan).catch(() => undefined);
  spawnSync("ip", ["netns", "delete", namespace]);
  // The eBPF port guard's pins (HIGH VMs have one; the driver pins it per namespace).
  rmSync(`/sys/fs/bpf/metald/${namespace}`, { recursive: true, force: true });
}
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const range = (xs: number[], digits: number) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const base = median((results["no pps limit"] ?? []).map((x) => x.cpuPerPacketUs));
console.log(
  `| 64-byte UDP, VM to VM, ${SECONDS} s × ${RUNS} | sender CPU per packet, median (µs) | range (µs) | of no limit | packets/s received, median | range |`,
);
console.log("|---|---|---|---|---|---|");
for (const [name, xs] of Object.entries(results)) {
  const cpu = xs.map((x) => x.cpuPerPacketUs);
  const rate = xs.map((x) => x.rate / 1000);
  console.log(
    `| ${name} | ${median(cpu).toFixed(2)} | ${range(cpu, 2)} | ${((100 * median(cpu)) / base).toFixed(0)} % | ${median(rate).toFixed(1)} k | ${range(rate, 1)} k |`,
  );
}
