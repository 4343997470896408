// iperf3 between two VMs through the tenant bridge, with no metald tables, and with the full
// policy (every guard, rule lists, extension-header policy; rate limits off so that they do
// not cap the result) while 10 and 5,000 VMs are programmed.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  compileHostPlan,
  compileVmElements,
  createCommandRunner,
  createInterfaceSpec,
  createNetnsRuntime,
  createSandboxDriver,
  diffElements,
  type HostPlan,
  type InterfaceSpec,
  renderElementChanges,
  renderRateClass,
  resolvePolicy,
} from "@metald/core";

const SECONDS = Number(process.env.BENCH_IPERF_SECONDS ?? 5);
const namespace = `mtput-${randomBytes(3).toString("hex")}`;
const runner = createCommandRunner();
const driver = createSandboxDriver({ runner, namespace });
const runtime = createNetnsRuntime(runner);

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
  "allow icmpv6 from any to any",
  "deny all from any to any",
];
const serverPlan = compileHostPlan({ vmId: "vm-tput-server", tenantId: "tput", isolated: false }, [
  { spec: spec("eth0", "2001:db8:77::1"), policy: fullPolicy(rules, []) },
]);
const clientPlan = compileHostPlan({ vmId: "vm-tput-client", tenantId: "tput", isolated: false }, [
  { spec: spec("eth0", "2001:db8:77::2"), policy: fullPolicy([], rules) },
]);

function inNs(ns: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, ...args]).toString();
}

async function waitForDad(plan: HostPlan): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (
      !inNs(plan.guestNamespace, ["ip", "-6", "addr", "show", "dev", "eth0"]).includes("tentative")
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function others(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
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

function iperf(): number {
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

async function setUp(programmed: number): Promise<void> {
  await driver.init();
  for (const plan of [serverPlan, clientPlan]) {
    await driver.applyVm(plan);
    await runtime.boot(plan);
  }
  const classes = [...serverPlan.rateClasses, ...clientPlan.rateClasses];
  const script =
    classes
      .map(
        (c) =>
          `${renderRateClass(c, c.control === "connections" ? "inet" : "bridge", "metald_security")}\n`,
      )
      .join("") + others(programmed - 2);
  if (script) spawnSync("ip", ["netns", "exec", namespace, "nft", "-f", "-"], { input: script });
  for (const plan of [serverPlan, clientPlan]) await waitForDad(plan);
}

const rows: string[] = [];
try {
  const noRules: number[] = [];
  const withPolicy: Record<number, number[]> = { 10: [], 5000: [] };
  for (let run = 0; run < 2; run++) {
    for (const n of [10, 5000]) {
      await setUp(n);
      spawnSync("ip", ["netns", "exec", serverPlan.guestNamespace, "iperf3", "-s", "-D", "-1"]);
      await new Promise((r) => setTimeout(r, 300));
      withPolicy[n]?.push(iperf());
    }
    execFileSync("ip", [
      "netns",
      "exec",
      namespace,
      "nft",
      "delete",
      "table",
      "bridge",
      "metald_security",
    ]);
    execFileSync("ip", [
      "netns",
      "exec",
      namespace,
      "nft",
      "delete",
      "table",
      "inet",
      "metald_security",
    ]);
    spawnSync("ip", ["netns", "exec", serverPlan.guestNamespace, "iperf3", "-s", "-D", "-1"]);
    await new Promise((r) => setTimeout(r, 300));
    noRules.push(iperf());
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  rows.push(`| no metald tables | ${fmt(noRules)} | 100 % |`);
  for (const n of [10, 5000]) {
    const xs = withPolicy[n] ?? [];
    rows.push(
      `| full policy, ${n} VMs programmed | ${fmt(xs)} | ${((100 * mean(xs)) / mean(noRules)).toFixed(0)} % |`,
    );
  }
} finally {
  await driver.removeVm(serverPlan).catch(() => undefined);
  await driver.removeVm(clientPlan).catch(() => undefined);
  spawnSync("ip", ["netns", "delete", namespace]);
}
console.log(`| iperf3 VM to VM, ${SECONDS} s | Gbit/s (runs) | of no-rule |`);
console.log("|---|---|---|");
for (const row of rows) console.log(row);
