// `metald precheck` on this machine: IPv6, nftables, the tables load, and the kernel's missing
// VLAN support (and the eBPF port guard, where it cannot load) is reported as such, not faked.
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
    // What the host cannot act on is listed, the VLAN id among it on this kernel.
    expect(out).toMatch(/⚠️ {2}fields this host does not enforce: .*isolation\.customer_vlan/);
    // Loaded (port-guard.test.ts proves it here), or reported as a warning with its reason.
    expect(out).toMatch(/(✅|⚠️ ) eBPF port guard/);
    expect(out).toContain("Pre-check completed successfully!");
  });
});
