import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner } from "./command-runner.js";
import { ipNetns } from "./ip-link.js";
import {
  createSysctlHardening,
  HARDENING_SYSCTLS,
  renderHardeningConf,
} from "./sysctl-hardening.js";

// Root to create namespaces; sysctl (procps) to set values inside one.
const canRun = kernelTestsCanRun("sysctl hardening in a network namespace", [
  "root",
  "ip",
  "sysctl",
]);

// net.ipv6.conf.* is per network namespace, so a throwaway namespace can be drifted and hardened
// without touching the machine. net.ipv6.neigh.default.gc_thresh* is not: the neighbour table is
// shared by every namespace and only the initial one shows it, so it is skipped here.
describe.skipIf(!canRun)("sysctl hardening in a network namespace", { timeout: 30_000 }, () => {
  const namespace = `mthrd-${randomBytes(3).toString("hex")}`;
  const runner = createCommandRunner();
  const inNs = (...args: string[]) => runner.run("ip", ["netns", "exec", namespace, ...args]);
  const nsValue = async (key: string) => (await inNs("sysctl", "-n", key)).trim();
  // The test's own namespace is the host's: read its values straight from /proc/sys.
  const hostValue = (key: string) =>
    readFileSync(join("/proc/sys", ...key.split(".")), "utf8").trim();
  const watched = ["net.ipv6.conf.all.accept_ra", "net.ipv6.neigh.default.gc_thresh1"];
  let hostBefore: string[] = [];
  let dir = "";

  beforeAll(async () => {
    hostBefore = watched.map(hostValue);
    dir = mkdtempSync(join(tmpdir(), "metald-sysctl-kernel-"));
    await runner.run("ip", ipNetns.add(namespace));
  });

  afterAll(async () => {
    await runner.run("ip", ipNetns.delete(namespace)).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reports drift, hardens it, is a no-op the second time and leaves the host alone", async () => {
    const confPath = join(dir, "sysctl.d", "99-metald-ipv6-security.conf");
    const hardening = createSysctlHardening({ confPath, runner, namespace });
    await inNs("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_ra=1");
    await inNs("sysctl", "-q", "-w", "net.ipv6.conf.default.accept_redirects=1");
    expect(await nsValue("net.ipv6.conf.all.accept_ra")).toBe("1");

    // No file yet, and the namespace's own values drifted.
    const before = await hardening.verify();
    expect(before.map((d) => d.key)).toEqual(HARDENING_SYSCTLS.map((s) => s.key));
    expect(before[0]).toEqual({
      key: "net.ipv6.conf.all.accept_ra",
      expected: "0",
      actual: "1",
      inFile: false,
    });

    const first = await hardening.harden();
    expect(first.fileChanged).toBe(true);
    expect(first.applied).toContainEqual({
      key: "net.ipv6.conf.all.accept_ra",
      from: "1",
      to: "0",
    });
    expect(first.applied).toContainEqual({
      key: "net.ipv6.conf.default.accept_redirects",
      from: "1",
      to: "0",
    });
    expect(first.skipped).toEqual(
      HARDENING_SYSCTLS.filter((s) => s.scope === "host").map((s) => s.key),
    );
    expect(readFileSync(confPath, "utf8")).toBe(renderHardeningConf());
    for (const { key, value, scope } of HARDENING_SYSCTLS) {
      if (scope === "netns") expect(await nsValue(key)).toBe(value);
    }

    expect(await hardening.harden()).toEqual({
      fileChanged: false,
      applied: [],
      skipped: first.skipped,
    });
    expect(await hardening.verify()).toEqual([]);

    // Drift behind its back is seen and put right.
    await inNs("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_ra=1");
    expect(await hardening.verify()).toEqual([
      { key: "net.ipv6.conf.all.accept_ra", expected: "0", actual: "1", inFile: true },
    ]);
    expect((await hardening.harden()).applied).toEqual([
      { key: "net.ipv6.conf.all.accept_ra", from: "1", to: "0" },
    ]);
    expect(await hardening.verify()).toEqual([]);

    expect(watched.map(hostValue)).toEqual(hostBefore);
  });
});
