// Full reconcile of N VMs (default 1,000; BENCH_RECONCILE_VMS=5000): with the links already in
// place, as after a restart, the sandbox driver lists links and namespaces once and rebuilds all
// tables in one transaction.
import { randomBytes } from "node:crypto";
import {
  compileHostPlan,
  createCommandRunner,
  createInterfaceSpec,
  createSandboxDriver,
  type HostPlan,
  resolvePolicy,
} from "@metald/core";

const N = Number(process.env.BENCH_RECONCILE_VMS ?? 1000);
const namespace = `mrec-${randomBytes(3).toString("hex")}`;
const driver = createSandboxDriver({ runner: createCommandRunner(), namespace });
const policy = resolvePolicy({ profile: "HIGH" }, { trackSources: false }).policy;

function plan(i: number): HostPlan {
  const hi = (i >>> 16).toString(16);
  const lo = (i & 0xffff).toString(16);
  const spec = createInterfaceSpec("eth0", {
    macAddress: "",
    addresses: [{ address: `2001:db8:${hi}:${lo}::10`, prefixLength: 64, path: "" }],
  });
  return compileHostPlan(
    {
      vmId: `vm-bench-${i}`,
      tenantId: `tenant-${i % 10}`,
      isolated: false,
      tenantMark: (i % 10) + 1,
    },
    [{ spec, policy }],
  );
}

const plans = Array.from({ length: N }, (_, i) => plan(i));
try {
  await driver.init();
  const createStart = Date.now();
  for (const p of plans) await driver.applyVm(p);
  const createS = (Date.now() - createStart) / 1000;
  const times: number[] = [];
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint();
    const result = await driver.reconcile(plans, []);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.created !== 0 || result.removed.length !== 0)
      throw new Error(`unexpected drift: ${JSON.stringify(result)}`);
  }
  console.log(`| VMs | programmed one by one (s) | full reconcile (ms, 3 runs) |`);
  console.log("|---|---|---|");
  console.log(`| ${N} | ${createS.toFixed(1)} | ${times.map((t) => t.toFixed(0)).join(", ")} |`);
} finally {
  await driver.destroy(plans.map((p) => p.guestNamespace));
}
