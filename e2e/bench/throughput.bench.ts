// VM-to-VM throughput through the tenant bridge with and without the full policy (every guard,
// rule lists both ways, extension-header policy; rate limits off so they do not cap the result)
// while 10 and 5,000 VMs are programmed. Runs are interleaved: every round measures each case
// once, in an order reversed every other round, so load from other work on the machine falls on
// all cases alike; the report gives medians, spread and ratios of medians. The policy's cost is
// broken down by turning its three parts on and off without reprogramming anything:
// - guard: the eBPF port guard (RA options, header-chain length) attached to both VMs' ports or
//   detached (HIGH sets both, so the driver attaches it);
// - bridge: the bridge-family table (first-hop controls) loaded or deleted;
// - inet: br_netfilter handing bridged IPv6 to the inet/ip6 hooks (conntrack, rule lists)
//   or not (`nf_call_ip6tables` on the bridge, with the namespace-wide default off).
// Each case measures TCP (iperf3, Gbit/s) and small packets (iperf3 UDP, 64-byte payload, no
// rate cap; packets per second the server received).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import {
  attachLines,
  compileHostPlan,
  compileVmElements,
  createCommandRunner,
  createInterfaceSpec,
  createNetnsRuntime,
  createSandboxDriver,
  detachLine,
  diffElements,
  type InterfaceSpec,
  renderElementChanges,
  resolvePolicy,
} from "@metald/core";
import { waitUntil } from "../harness/wait-until.js";
import { formatSpread, summarizeCase } from "./interleaved-summary.js";

const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 7);
const SIZES = (process.env.BENCH_THROUGHPUT_VMS ?? "10,5000").split(",").map(Number);
const namespace = `mtput-${randomBytes(3).toString("hex")}`;
const runner = createCommandRunner();
const driver = createSandboxDriver({ runner, namespace });
const runtime = createNetnsRuntime(runner);

const CASES = ["none", "guard", "bridge", "inet", "full"] as const;
type Case = (typeof CASES)[number];
const CASE_LABEL: Record<Case, string> = {
  none: "no metald chains reached, no port guard",
  guard: "eBPF port guard only",
  bridge: "bridge-family chains only",
  inet: "inet only (br_netfilter + conntrack + rule lists)",
  full: "full policy (all three)",
};
const PIN_DIR = `/sys/fs/bpf/metald/${namespace}`;

function spec(id: string, address: string): InterfaceSpec {
  return createInterfaceSpec(id, { addresses: [{ address, prefixLength: 64, path: "" }] });
}

function fullPolicy(ingress: string[], egress: string[]) {
  return resolvePolicy(
    {
      profile: "HIGH",
      request: {
        rateLimits: { maxPpsPerVm: 0, maxBandwidthPerVm: 0, maxConnectionsPerVm: 0 },
        neighborDiscovery: { ndRateLimit: 0, icmpv6RateLimit: 0, multicastRateLimit: 0 },
        rules: { ingress, egress },
      },
    },
    { trackSources: false },
  ).policy;
}

const rules = [
  "allow tcp from any to any port 5201",
  "allow udp from any to any port 5201",
  "allow icmpv6 from any to any",
  "deny all from any to any",
];
const serverPlan = compileHostPlan({ vmId: "vm-tput-server", tenantId: "tput", isolated: false }, [
  { spec: spec("eth0", "2001:db8:77::1"), policy: fullPolicy(rules, []) },
]);
const clientPlan = compileHostPlan({ vmId: "vm-tput-client", tenantId: "tput", isolated: false }, [
  { spec: spec("eth0", "2001:db8:77::2"), policy: fullPolicy([], rules) },
]);
const bridge = serverPlan.ports[0]?.bridge ?? "";

function inNs(ns: string, args: string[], input?: string): string {
  return execFileSync("ip", ["netns", "exec", ns, ...args], {
    input,
    maxBuffer: 1 << 28,
  }).toString();
}

function others(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    const hi = (i >>> 16).toString(16);
    const lo = (i & 0xffff).toString(16);
    const { elements } = compileVmElements(
      [
        {
          name: `tapo${i.toString(16).padStart(7, "0")}0`,
          addresses: [`2001:db8:${hi}:${lo}::10`],
          prefixes: [`2001:db8:${hi}:${lo}::/64`],
          linkLocal: `fe80::${hi}:${lo}:1`,
          policy: fullPolicy(rules, rules),
        },
      ],
      false,
    );
    lines.push(renderElementChanges(diffElements({}, elements)));
  }
  return lines.join("");
}

function iperfTcp(): number {
  const out = inNs(clientPlan.guestNamespace, [
    "iperf3",
    "-6",
    "-J",
    "-c",
    "2001:db8:77::1",
    "-t",
    String(SECONDS),
  ]);
  const result = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return result.end.sum_received.bits_per_second / 1e9;
}

/** Packets per second the server received: small packets show the per-packet cost of rules. */
function iperfUdpPps(): number {
  const out = inNs(clientPlan.guestNamespace, [
    "iperf3",
    "-6",
    "-J",
    "-u",
    "-b",
    "0",
    "-l",
    "64",
    "-c",
    "2001:db8:77::1",
    "-t",
    String(SECONDS),
  ]);
  const result = JSON.parse(out) as {
    end: { sum: { packets: number; lost_packets: number; seconds: number } };
  };
  const { packets, lost_packets, seconds } = result.end.sum;
  return (packets - lost_packets) / seconds;
}

let bridgeTable = "";
let bridgeLoaded = true;
let guardAttached = true;
const vmPorts = [serverPlan, clientPlan].map((plan) => plan.ports[0]?.name ?? "");

/** The guard's programs on both VMs' ports, as the driver attaches them (tc must see bpffs). */
function setGuard(attach: boolean): void {
  const lines = vmPorts.flatMap((port) =>
    attach ? attachLines(port, PIN_DIR) : [detachLine(port)],
  );
  execFileSync("nsenter", [`--net=/run/netns/${namespace}`, "tc", "-batch", "-"], {
    input: `${lines.join("\n")}\n`,
  });
}

/** The breakdown relies on the driver having attached the guard (it does where it loads). */
function checkGuardAttached(): void {
  for (const port of vmPorts) {
    const filters = inNs(namespace, ["tc", "filter", "show", "dev", port, "ingress"]);
    if (!filters.includes("bpf")) throw new Error(`the port guard is not attached to ${port}`);
  }
}

function setCase(c: Case): void {
  const wantGuard = c === "guard" || c === "full";
  if (wantGuard !== guardAttached) setGuard(wantGuard);
  guardAttached = wantGuard;
  const wantBridge = c === "bridge" || c === "full";
  if (wantBridge && !bridgeLoaded) inNs(namespace, ["nft", "-f", "-"], bridgeTable);
  if (!wantBridge && bridgeLoaded)
    inNs(namespace, ["nft", "delete", "table", "bridge", "metald_security"]);
  bridgeLoaded = wantBridge;
  const call = c === "inet" || c === "full" ? "1" : "0";
  inNs(namespace, ["ip", "link", "set", bridge, "type", "bridge", "nf_call_ip6tables", call]);
}

async function setUp(): Promise<void> {
  await driver.init();
  for (const plan of [serverPlan, clientPlan]) {
    await driver.applyVm(plan);
    await runtime.boot(plan);
  }
  // The per-bridge switch decides only while the namespace-wide default is off.
  inNs(namespace, ["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-ip6tables=0"]);
  for (const plan of [serverPlan, clientPlan])
    await waitUntil(
      `DAD in ${plan.guestNamespace}`,
      () =>
        !inNs(plan.guestNamespace, ["ip", "-6", "addr", "show", "dev", "eth0"]).includes(
          "tentative",
        ),
      { timeoutMs: 20_000 },
    );
}

async function grow(from: number, to: number): Promise<void> {
  setCase("full");
  const script = others(from, to);
  if (script) inNs(namespace, ["nft", "-f", "-"], script);
  bridgeTable = inNs(namespace, ["nft", "list", "table", "bridge", "metald_security"]);
}

/**
 * Packets of the VMs' flow that reached the inet forward hook while `ping` ran: a table of the
 * benchmark's own, with one counting rule, deleted again so that it costs the runs nothing.
 */
function inetHookPackets(): number {
  const probe = `mtput_probe_${randomBytes(3).toString("hex")}`;
  inNs(
    namespace,
    ["nft", "-f", "-"],
    `table inet ${probe} {\n  counter seen { }\n  chain forward {\n    type filter hook forward priority 10; policy accept;\n    ip6 saddr 2001:db8:77::2 ip6 daddr 2001:db8:77::1 counter name "seen"\n  }\n}\n`,
  );
  try {
    inNs(clientPlan.guestNamespace, ["ping", "-6", "-c", "3", "-i", "0.2", "-q", "2001:db8:77::1"]);
    const listing = inNs(namespace, ["nft", "list", "counter", "inet", probe, "seen"]);
    return Number(/packets (\d+)/.exec(listing)?.[1] ?? "-1");
  } finally {
    inNs(namespace, ["nft", "delete", "table", "inet", probe]);
  }
}

/** The breakdown relies on the bridge's switch deciding whether the inet hooks see the flow. */
function checkInetSwitch(): void {
  setCase("bridge");
  const off = inetHookPackets();
  setCase("full");
  const on = inetHookPackets();
  if (off !== 0 || on < 3)
    throw new Error(`nf_call_ip6tables does not switch the inet hooks (off: ${off}, on: ${on})`);
}

type Samples = Record<Case, { gbit: number[]; pps: number[] }>;

async function measure(): Promise<Samples> {
  const samples = {} as Samples;
  for (const c of CASES) samples[c] = { gbit: [], pps: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? CASES : [...CASES].reverse();
    for (const c of order) {
      setCase(c);
      samples[c].gbit.push(iperfTcp());
      samples[c].pps.push(iperfUdpPps());
    }
  }
  return samples;
}

const started = new Date();
const loadBefore = loadavg();
const results: { vms: number; samples: Samples }[] = [];
let server: ReturnType<typeof spawn> | undefined;
try {
  await setUp();
  server = spawn("ip", ["netns", "exec", serverPlan.guestNamespace, "iperf3", "-s", "-6"], {
    stdio: "ignore",
  });
  await waitUntil(
    "iperf3 server",
    () => inNs(serverPlan.guestNamespace, ["ss", "-Hltn", "sport", "= :5201"]).trim() !== "",
    { timeoutMs: 20_000 },
  );
  checkGuardAttached();
  checkInetSwitch();
  let programmed = 2;
  for (const vms of SIZES) {
    await grow(programmed, vms);
    programmed = Math.max(programmed, vms);
    results.push({ vms, samples: await measure() });
  }
} finally {
  server?.kill();
  await driver.removeVm(serverPlan).catch(() => undefined);
  await driver.removeVm(clientPlan).catch(() => undefined);
  spawnSync("ip", ["netns", "delete", namespace]);
  // The eBPF port guard's pins (HIGH VMs have one; the driver pins it per namespace).
  rmSync(PIN_DIR, { recursive: true, force: true });
}
const loadAfter = loadavg();
const seconds = Math.round((Date.now() - started.getTime()) / 1000);
console.log(
  `iperf3 VM to VM, ${SECONDS} s per run, ${ROUNDS} interleaved rounds; ${started.toISOString()}, ` +
    `${seconds} s in all; load average (1/5/15 min) ${loadBefore.map((l) => l.toFixed(1)).join("/")} ` +
    `before, ${loadAfter.map((l) => l.toFixed(1)).join("/")} after`,
);
console.log("");
console.log(
  "| VMs programmed | case | TCP Gbit/s median (min–max) | of no-rule | UDP 64 B pps median (min–max) | of no-rule |",
);
console.log("|---|---|---|---|---|---|");
for (const { vms, samples } of results) {
  for (const c of CASES) {
    const gbit = summarizeCase(samples[c].gbit, samples.none.gbit);
    const pps = summarizeCase(samples[c].pps, samples.none.pps);
    console.log(
      `| ${vms.toLocaleString("en-US")} | ${CASE_LABEL[c]} | ${formatSpread(gbit, 2)} | ` +
        `${gbit.percentOfBaseline.toFixed(0)} % | ${formatSpread(pps, 0)} | ${pps.percentOfBaseline.toFixed(0)} % |`,
    );
  }
}
