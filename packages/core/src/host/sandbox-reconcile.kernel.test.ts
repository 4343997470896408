// The start-up reconcile finishes a guest that a kill left half made: the namespace exists (its
// mark says unfinished) but nothing else of the VM does, as after a kill between `ip netns add`
// and the commands that fill the namespace. Making the missing ports settles the mark, yet the
// guest must still be looked inside: its loopback was never brought up nor named.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson } from "@bufbuild/protobuf";
import { CreateVmRequestSchema } from "@metald/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileHostPlan } from "../plan/compile-host-plan.js";
import type { HostPlan } from "../plan/host-plan.js";
import { normalizeCreateVm } from "../policy/normalize-create-vm.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner } from "./command-runner.js";
import { createGuestNamespaceMarks } from "./guest-namespace-marks.js";
import { createSandboxDriver } from "./sandbox-driver.js";

const canRun = kernelTestsCanRun("sandbox reconcile of a half-made guest", ["root", "ip", "nft"]);

function planOf(vmId: string): HostPlan {
  const { spec } = normalizeCreateVm(
    fromJson(CreateVmRequestSchema, {
      config: {
        tenant_id: "half",
        network: [{ id: "eth0", ipv6: { address: "2001:db8:a1f::10/64" } }],
      },
    } as never),
    { defaultProfile: "HIGH", defaultTenant: "default" },
  );
  return compileHostPlan(
    { vmId, tenantId: spec.tenantId, isolated: false, tenantMark: 1 },
    spec.interfaces.map((iface) => ({
      spec: iface,
      policy: resolvePolicy(
        { profile: spec.profile, request: iface.requestLayer, switches: iface.switches },
        { trackSources: false },
      ).policy,
    })),
  );
}

describe.runIf(canRun)("sandbox reconcile of a half-made guest", () => {
  const tag = randomBytes(3).toString("hex");
  const namespace = `mrec-${tag}`;
  const marksDir = mkdtempSync(join(tmpdir(), "metald-marks-"));
  const driver = createSandboxDriver({
    runner: createCommandRunner(),
    namespace,
    guestMarksDir: marksDir,
  });
  const plan = planOf(`vm-half-${tag}`);

  beforeAll(async () => {
    await driver.init();
  });
  afterAll(async () => {
    await driver.destroy([plan.guestNamespace]);
  });

  it("brings up and names the loopback of a guest whose namespace alone was made", async () => {
    // What a kill right after `ip netns add` leaves: the mark (unfinished) and the namespace.
    await createGuestNamespaceMarks(marksDir).mark(plan.guestNamespace);
    execFileSync("ip", ["netns", "add", plan.guestNamespace]);
    const result = await driver.reconcile([plan], []);
    expect(result.created).toBeGreaterThan(0);
    const lo = JSON.parse(
      spawnSync("ip", ["-n", plan.guestNamespace, "-j", "link", "show", "lo"], {
        encoding: "utf8",
      }).stdout,
    ) as { flags: string[]; ifalias?: string }[];
    expect(lo[0]?.flags).toContain("UP");
    expect(lo[0]?.ifalias).toBeTruthy();
    const addresses = spawnSync("ip", ["-n", plan.guestNamespace, "-6", "addr", "show"], {
      encoding: "utf8",
    }).stdout;
    expect(addresses).toContain("2001:db8:a1f::10/64");
  });
});
