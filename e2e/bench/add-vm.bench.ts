// Cost of programming one more VM into the metald_security table when N VMs are already
// there (N = 10, 1,000, 5,000), through `nft -f` as the sandbox driver does it, in a throwaway
// namespace. Also the time to load all N at once (what a full reconcile does).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  compileVmElements,
  diffElements,
  renderBaseTable,
  renderElementChanges,
  renderRateClass,
  resolvePolicy,
} from "@metald/core";

const namespace = `mbench-${randomBytes(3).toString("hex")}`;
const policy = resolvePolicy({ profile: "HIGH" }, { trackSources: false }).policy;

function vmElements(i: number) {
  const hi = (i >>> 16).toString(16);
  const lo = (i & 0xffff).toString(16);
  return compileVmElements(
    [
      {
        name: `tapb${i.toString(16).padStart(7, "0")}0`,
        addresses: [`2001:db8:${hi}:${lo}::10`],
        prefixes: [`2001:db8:${hi}:${lo}::/64`],
        linkLocal: `fe80::${hi}:${lo}:1`,
        policy,
      },
    ],
    false,
  );
}

function nft(script: string): void {
  const result = spawnSync("ip", ["netns", "exec", namespace, "nft", "-f", "-"], { input: script });
  if (result.status !== 0) throw new Error(result.stderr.toString());
}

function addAll(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++)
    lines.push(renderElementChanges(diffElements({}, vmElements(i).elements)));
  return lines.join("");
}

// The rate classes every VM of the HIGH profile uses, created once as the driver does.
function rateClasses(): string {
  return vmElements(0)
    .rateClasses.map(
      (c) =>
        `${renderRateClass(c, c.control === "connections" ? "inet" : "bridge", "metald_security")}\n`,
    )
    .join("");
}

const RESET =
  "add table bridge metald_security\ndelete table bridge metald_security\nadd table inet metald_security\ndelete table inet metald_security\n";

execFileSync("ip", ["netns", "add", namespace]);
const rows: string[] = [];
try {
  for (const n of [10, 1_000, 5_000]) {
    nft(`${RESET}${renderBaseTable()}${rateClasses()}`);
    const loadStart = process.hrtime.bigint();
    nft(addAll(0, n));
    const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;
    const samples: number[] = [];
    for (let k = 0; k < 10; k++) {
      const { elements } = vmElements(100_000 + k);
      const start = process.hrtime.bigint();
      nft(renderElementChanges(diffElements({}, elements)));
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      nft(renderElementChanges(diffElements(elements, {})));
    }
    samples.sort((a, b) => a - b);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    rows.push(
      `| ${n} | ${mean.toFixed(2)} | ${(samples[4] ?? 0).toFixed(2)} | ${(samples[9] ?? 0).toFixed(2)} | ${loadMs.toFixed(0)} |`,
    );
  }
} finally {
  execFileSync("ip", ["netns", "delete", namespace]);
}
console.log(
  "| VMs programmed | add one VM, mean (ms) | median (ms) | max (ms) | load all N at once (ms) |",
);
console.log("|---|---|---|---|---|");
for (const row of rows) console.log(row);
