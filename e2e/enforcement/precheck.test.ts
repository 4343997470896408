// `metald precheck` on this machine: IPv6, nftables, the tables load, the eBPF port guard loads,
// and the kernel's missing VLAN support is reported as such, not faked.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { kernelTestsCanRun } from "@metald/core/testing";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../apps/metald/dist/main.js", import.meta.url));

const canRun = kernelTestsCanRun("metald precheck", ["root", "ip", "nft"]);

describe.runIf(canRun)("metald precheck", () => {
  it("passes here and reports the VLAN capabilities it probed", () => {
    const result = spawnSync(process.execPath, [MAIN, "precheck"]);
    const out = result.stdout.toString();
    expect(result.status, out).toBe(0);
    expect(out).toContain("✅ metald_security tables load");
    expect(out).toMatch(/(✅|⚠️ ) 802\.1Q VLAN devices/);
    // This machine builds and loads the eBPF port guard (scripts/setup.sh installs clang).
    expect(out).toContain("✅ eBPF port guard");
    expect(out).toContain("Pre-check completed successfully!");
  });
});
