import { describe, expect, it } from "vitest";
import { compileHostPlan } from "../plan/compile-host-plan.js";
import { resolvePolicy } from "../policy/resolve-policy.js";
import { createInterfaceSpec } from "../policy/vm-spec.js";
import { recordingRunner } from "../testing/recording-runner.js";
import { createSandboxDriver } from "./sandbox-driver.js";

const spec = createInterfaceSpec("eth0", {
  macAddress: "",
  addresses: [{ address: "2001:db8::10", prefixLength: 64, path: "" }],
});

describe("the linux driver", () => {
  it("programs the host's own namespace with a tap per VM port, argument arrays only", async () => {
    const { runner, calls, sysctls } = recordingRunner();
    const driver = createSandboxDriver({ runner, mode: "linux", sysctls, vmGuard: false });
    const plan = compileHostPlan(
      { vmId: "vm-linux", tenantId: "acme", isolated: false, tenantMark: 1 },
      [{ spec, policy: resolvePolicy({ profile: "HIGH" }).policy }],
    );
    await driver.applyVm(plan);
    const lines = calls.map((c) => [c.command, ...c.args].join(" "));
    expect(lines).toContain(`ip tuntap add dev ${plan.ports[0]?.name} mode tap`);
    expect(lines).toContain(`ip link set ${plan.ports[0]?.name} master br-acme up`);
    expect(lines.some((l) => l.includes("netns"))).toBe(false);
    const nft = calls.find((c) => c.command === "nft");
    expect(nft?.args).toEqual(["-f", "-"]);
    expect(nft?.input).toContain(
      `add element bridge metald_security vm_ports { "${plan.ports[0]?.name}" }`,
    );
    expect(driver.name).toBe("linux");
  });

  it("writes a port's sysctls only once every port and bridge of the VM exists", async () => {
    const { runner, calls, sysctls } = recordingRunner();
    const driver = createSandboxDriver({ runner, mode: "linux", sysctls, vmGuard: false });
    const backup = createInterfaceSpec("backup", {
      macAddress: "",
      addresses: [{ address: "2001:db8:1::10", prefixLength: 64, path: "" }],
    });
    const plan = compileHostPlan(
      { vmId: "vm-two-ports", tenantId: "acme", isolated: false, tenantMark: 1 },
      [
        { spec, policy: resolvePolicy({ profile: "HIGH" }).policy },
        {
          spec: backup,
          policy: resolvePolicy({
            profile: "HIGH",
            request: { isolation: { bridgeInterface: "br-acme-backup" } },
          }).policy,
        },
      ],
    );
    await driver.applyVm(plan);
    const lines = calls.map((c) => [c.command, ...c.args].join(" "));
    const sysctl = lines.findIndex((l) => l.startsWith("sysctl"));
    for (const port of plan.ports) {
      const created = lines.indexOf(`ip tuntap add dev ${port.name} mode tap`);
      expect(created).toBeGreaterThanOrEqual(0);
      expect(created).toBeLessThan(sysctl);
      expect(lines[sysctl]).toContain(`net/ipv6/conf/${port.name}/accept_ra=0`);
    }
    expect(lines[sysctl]).toContain("net/ipv6/conf/br-acme-backup/accept_ra=0");
  });

  it("programs a VM's elements while its links are made, and takes them back when the links fail", async () => {
    let refuse = true;
    const { runner, calls, sysctls } = recordingRunner({
      fail: (command, args) =>
        refuse && command === "ip" && args.includes("-batch")
          ? "RTNETLINK answers: File exists"
          : undefined,
    });
    const driver = createSandboxDriver({ runner, mode: "linux", sysctls, vmGuard: false });
    const plan = compileHostPlan(
      { vmId: "vm-linux", tenantId: "acme", isolated: false, tenantMark: 1 },
      [{ spec, policy: resolvePolicy({ profile: "LOW" }).policy }],
    );
    await expect(driver.applyVm(plan)).rejects.toThrow(/File exists/);
    const port = `"${plan.ports[0]?.name}"`;
    const scripts = calls.filter((c) => c.command === "nft").map((c) => c.input ?? "");
    expect(scripts[0]).toContain(`add element bridge metald_security vm_ports { ${port} }`);
    expect(scripts.at(-1)).toContain(`delete element bridge metald_security vm_ports { ${port} }`);
    // The next attempt finds the VM's elements as they were before it: all added again.
    refuse = false;
    await driver.applyVm(plan);
    const again = calls.filter((c) => c.command === "nft").at(-1)?.input ?? "";
    expect(again).toContain(`add element bridge metald_security vm_ports { ${port} }`);
  });
});
