import { describe, expect, it } from "vitest";
import { compileHostPlan } from "../plan/compile-host-plan.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { createInterfaceSpec } from "../policy/vm-spec.js";
import { recordingRunner } from "../testing/recording-runner.js";
import { HostApplyError } from "./host-apply-error.js";
import { createSandboxDriver } from "./sandbox-driver.js";

// This kernel has no bridge VLAN filtering: the driver's commands are checked with a runner
// that records them (e2e packet tests cannot run here; docs/enforcement.md says so).
const spec = createInterfaceSpec("eth0", {
  macAddress: "",
  addresses: [{ address: "2001:db8::10", prefixLength: 64, path: "" }],
});

const planWith = (isolation: { customerVlan?: number; additionalVlans?: number[] }) =>
  compileHostPlan({ vmId: "vm-vlan", tenantId: "acme", isolated: false, tenantMark: 1 }, [
    { spec, policy: resolvePolicy({ profile: "HIGH", request: { isolation } }).policy },
  ]);

function driverWith(
  bridgeVlanFiltering: boolean | undefined,
  hooks: Parameters<typeof recordingRunner>[0] = {},
) {
  const recorded = recordingRunner(hooks);
  const driver = createSandboxDriver({
    runner: recorded.runner,
    mode: "linux",
    sysctls: recorded.sysctls,
    vmGuard: false,
    bridgeVlanFiltering,
  });
  return { driver, ...recorded };
}

const bridgeLines = (lines: string[]) =>
  lines.filter((l) => l.startsWith("bridge vlan") || l.includes("vlan_filtering"));

describe("VLANs as bridge VLANs (linux driver, recorded commands)", () => {
  it("puts the port in its customer VLAN untagged and its additional VLANs tagged, after VLAN filtering is on", async () => {
    const { driver, lines } = driverWith(true);
    const plan = planWith({ customerVlan: 100, additionalVlans: [201] });
    const tap = plan.ports[0]?.name;
    await driver.applyVm(plan);
    const all = lines();
    expect(bridgeLines(all)).toEqual([
      "ip link set dev br-acme type bridge vlan_filtering 1",
      `bridge vlan add dev ${tap} vid 100 pvid untagged`,
      `bridge vlan add dev ${tap} vid 201`,
      `bridge vlan del dev ${tap} vid 1`,
    ]);
    // On the bridge before its VLANs are set.
    expect(all.indexOf(`ip link set ${tap} master br-acme up`)).toBeLessThan(
      all.indexOf(`bridge vlan add dev ${tap} vid 100 pvid untagged`),
    );
  });

  it("changes only what differs when the VM's VLANs change, and nothing when they do not", async () => {
    const { driver, lines } = driverWith(true);
    const plan = planWith({ customerVlan: 100, additionalVlans: [201] });
    const tap = plan.ports[0]?.name;
    await driver.applyVm(plan);
    const before = lines().length;
    await driver.applyVm(plan);
    expect(bridgeLines(lines().slice(before))).toEqual([]);
    const moved = lines().length;
    await driver.applyVm(planWith({ customerVlan: 200 }));
    expect(bridgeLines(lines().slice(moved))).toEqual([
      `bridge vlan add dev ${tap} vid 200 pvid untagged`,
      `bridge vlan del dev ${tap} vid 100`,
      `bridge vlan del dev ${tap} vid 201`,
    ]);
  });

  it("runs nothing for VLANs where the kernel has no bridge VLAN filtering", async () => {
    const { driver, lines } = driverWith(false);
    await driver.applyVm(planWith({ customerVlan: 100, additionalVlans: [201] }));
    expect(bridgeLines(lines())).toEqual([]);
    expect((await driver.compat()).bridgeVlanFiltering).toBe(false);
  });

  it("a VLAN the kernel refuses fails the create as the VLAN step and removes the port; a retry programs it again", async () => {
    let refuse = true;
    const { driver, lines } = driverWith(true, {
      fail: (command) =>
        refuse && command === "bridge" ? "RTNETLINK answers: Invalid argument" : undefined,
    });
    const plan = planWith({ customerVlan: 100 });
    const tap = plan.ports[0]?.name;
    const failure = await driver.applyVm(plan).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HostApplyError);
    expect((failure as HostApplyError).step).toBe("vlans");
    expect((failure as Error).message).toMatch(
      /programming the VM's port VLANs .*Invalid argument/,
    );
    expect(lines()).toContain(`ip link delete ${tap}`);
    refuse = false;
    const before = lines().length;
    await driver.applyVm(plan);
    expect(bridgeLines(lines().slice(before))).toEqual([
      `bridge vlan add dev ${tap} vid 100 pvid untagged`,
      `bridge vlan del dev ${tap} vid 1`,
    ]);
  });

  it("a port made again after its VM was removed starts from the default VLAN", async () => {
    const { driver, lines } = driverWith(true);
    // No rate classes: removing them would read the rules' handles from the kernel.
    const plan = { ...planWith({ customerVlan: 100 }), rateClasses: [] };
    const tap = plan.ports[0]?.name;
    await driver.applyVm(plan);
    await driver.removeVm(plan);
    const before = lines().length;
    await driver.applyVm(plan);
    expect(bridgeLines(lines().slice(before))).toContain(
      `bridge vlan add dev ${tap} vid 100 pvid untagged`,
    );
  });

  it("a reconcile of VMs without VLANs probes and reads nothing", async () => {
    const { driver, lines } = driverWith(undefined);
    await driver.reconcile([planWith({})], []);
    expect(lines().filter((l) => l.startsWith("bridge ") || l.includes("mprobe"))).toEqual([]);
  });

  it("a reconcile reads what the kernel holds once and changes only the ports that differ", async () => {
    const plan = planWith({ customerVlan: 100 });
    const tap = plan.ports[0]?.name as string;
    // The bridge and the port exist, the port in VLAN 300.
    const links = [
      {
        ifindex: 5,
        ifname: "br-acme",
        operstate: "UP",
        flags: ["UP"],
        linkinfo: { info_kind: "bridge" },
      },
      {
        ifindex: 6,
        ifname: tap,
        operstate: "UP",
        flags: ["UP"],
        master: "br-acme",
        linkinfo: { info_kind: "tun" },
      },
    ];
    const held = [{ ifname: tap, vlans: [{ vlan: 300, flags: ["PVID", "Egress Untagged"] }] }];
    const { driver, lines } = driverWith(true, {
      answer: (command, args) => {
        if (command === "bridge" && args.includes("show")) return JSON.stringify(held);
        if (command === "ip" && args.join(" ") === "-d -j link show") return JSON.stringify(links);
        return undefined;
      },
    });
    await driver.reconcile([planWith({ customerVlan: 300 })], []);
    expect(lines().filter((l) => l === "bridge -j vlan show")).toHaveLength(1);
    expect(bridgeLines(lines())).toEqual([]);
    const before = lines().length;
    await driver.reconcile([plan], []);
    expect(bridgeLines(lines().slice(before))).toEqual([
      "ip link set dev br-acme type bridge vlan_filtering 1",
      `bridge vlan add dev ${tap} vid 100 pvid untagged`,
      `bridge vlan del dev ${tap} vid 300`,
    ]);
  });
});
