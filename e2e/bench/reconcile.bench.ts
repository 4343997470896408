// Full reconcile of N VMs (default 1,000; BENCH_RECONCILE_VMS=5000): with the links already in
// place, as after a restart, the sandbox driver lists links and namespaces once, enters no guest
// namespace whose mark records it finished, and rebuilds all tables in one transaction. Host
// commands go through the spawn helper and per-VM rules through the nft channel, as in metald.
import { randomBytes } from "node:crypto";
import {
  compileHostPlan,
  createInterfaceSpec,
  createNftChannel,
  createSandboxDriver,
  type HostPlan,
  resolvePolicy,
  startHelperRunner,
} from "@metald/core";

const N = Number(process.env.BENCH_RECONCILE_VMS ?? 1000);
const namespace = `mrec-${randomBytes(3).toString("hex")}`;
const runner = startHelperRunner();
const driver = createSandboxDriver({
  runner,
  namespace,
  nftChannel: (ns) => createNftChannel({ namespace: ns }),
});
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
  runner.close();
}
