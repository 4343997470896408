import { describe, expect, it } from "vitest";
import { compileHostPlan } from "../plan/compile-host-plan.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { createInterfaceSpec } from "../policy/vm-spec.js";
import { BRIDGE_PORT_LIMIT, BridgeFullError } from "./bridge-port-limit.js";
import { type CommandRunner, RunError } from "./command-runner.js";
import { createSandboxDriver } from "./sandbox-driver.js";

// A host where nothing exists yet; counts the commands run.
function fakeRunner() {
  const calls = { n: 0 };
  const runner: CommandRunner = {
    async run(command, args) {
      calls.n++;
      if (args.includes("show") && !args.includes("-d"))
        throw new RunError(command, args, 1, "does not exist");
      if (args[0] === "-j" && args[1] === "netns") return "[]";
      if (args.includes("-d")) return "[]";
      return "";
    },
  };
  return { runner, calls };
}

// The host's /proc/sys is not written by these tests.
const sysctls = { write: async () => undefined };
const policy = resolvePolicy({ profile: "HIGH" }).policy;
const planOf = (n: number, tenantId = "acme") =>
  compileHostPlan({ vmId: `vm-${n}`, tenantId, isolated: false, tenantMark: 1 }, [
    {
      spec: createInterfaceSpec("eth0", {
        macAddress: "",
        addresses: [{ address: `2001:db8::${(n + 16).toString(16)}`, prefixLength: 64, path: "" }],
      }),
      policy,
    },
  ]);

describe("the bridge port limit", () => {
  it("refuses the 1,025th port of one bridge as resource exhaustion naming the bridge, before any host command", async () => {
    const { runner, calls } = fakeRunner();
    const driver = createSandboxDriver({ runner, mode: "linux", sysctls, vmGuard: false });
    for (let n = 0; n < BRIDGE_PORT_LIMIT; n++) await driver.applyVm(planOf(n));
    const before = calls.n;
    const refused = await driver.applyVm(planOf(BRIDGE_PORT_LIMIT)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BridgeFullError);
    expect((refused as Error).message).toMatch(/bridge br-acme already holds 1024 ports/);
    expect(calls.n).toBe(before);
    // Another tenant's bridge has room; a removed VM's port frees its place.
    await driver.applyVm(planOf(BRIDGE_PORT_LIMIT + 1, "other"));
    await driver.removeVm(planOf(0));
    await driver.applyVm(planOf(BRIDGE_PORT_LIMIT));
  });

  it("counts the ports a reconcile leaves in place", async () => {
    const { runner } = fakeRunner();
    const driver = createSandboxDriver({ runner, mode: "linux", sysctls, vmGuard: false });
    const plans = Array.from({ length: BRIDGE_PORT_LIMIT }, (_, n) => planOf(n));
    await driver.reconcile(plans, []);
    await expect(driver.applyVm(planOf(BRIDGE_PORT_LIMIT))).rejects.toBeInstanceOf(BridgeFullError);
    // Re-applying a VM already on the bridge adds no port.
    await driver.applyVm(plans[5] as (typeof plans)[number]);
  });
});
