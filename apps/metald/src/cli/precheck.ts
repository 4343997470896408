// `metald precheck`: the deployment pre-check of the architecture guide, as a command with
// clear output and an exit code (0: metald can enforce here; 1: a required capability is
// missing). Probes run in a throwaway network namespace, so the host is untouched.

import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import {
  type CommandRunner,
  createSandboxDriver,
  fieldsNotEnforcedOnHost,
  type SysctlHardening,
} from "@metald/core";

export interface Check {
  name: string;
  status: "ok" | "missing" | "warning";
  detail: string;
}

async function probe(
  runner: CommandRunner,
  command: string,
  args: string[],
): Promise<string | undefined> {
  try {
    return (await runner.run(command, args)).trim();
  } catch {
    return undefined;
  }
}

export async function runPrecheck(
  runner: CommandRunner,
  hardening?: SysctlHardening,
): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (
    name: string,
    ok: boolean,
    detail: string,
    severity: "missing" | "warning" = "missing",
  ) => checks.push({ name, status: ok ? "ok" : severity, detail });

  add("IPv6 kernel support", existsSync("/proc/net/if_inet6"), "/proc/net/if_inet6");
  const nft = await probe(runner, "nft", ["--version"]);
  add("nftables", nft !== undefined, nft ?? "nft not found (Debian package nftables)");
  const ip = await probe(runner, "ip", ["-V"]);
  add("iproute2", ip !== undefined, ip ?? "ip not found (Debian package iproute2)");
  add(
    "bridge netfilter (br_netfilter)",
    existsSync("/proc/sys/net/bridge"),
    "/proc/sys/net/bridge",
  );
  add("running as root", process.getuid?.() === 0, "needed to program links and nftables");
  if (nft !== undefined && ip !== undefined && process.getuid?.() === 0) {
    const namespace = `mpre-${randomBytes(3).toString("hex")}`;
    const driver = createSandboxDriver({ runner, namespace });
    try {
      await driver.init();
      add("metald_security tables load", true, "bridge, inet and ip6 families");
      const caps = await driver.compat();
      add(
        "802.1Q VLAN devices",
        caps.vlanDevices,
        caps.vlanDevices
          ? "available"
          : "absent (not needed: metald programs VLANs as bridge VLANs)",
        "warning",
      );
      add(
        "bridge VLAN filtering",
        caps.bridgeVlanFiltering,
        caps.bridgeVlanFiltering
          ? "available: customer_vlan and additional_vlans are programmed as bridge VLANs"
          : "absent: VLAN ids are stored, not programmed (tenants are separated by bridges and tenant marks)",
        "warning",
      );
      // Accepted, shown back, and not acted on here: GetVmNetworkSecurity lists them per VM.
      const silent = fieldsNotEnforcedOnHost({
        driver: "linux",
        ...caps,
        portGuard: caps.portGuard === true,
      });
      add(
        "fields this host does not enforce",
        false,
        `${silent.map((f) => f.field).join(", ")} (per VM: GetVmNetworkSecurity not_enforced; docs/enforcement.md)`,
        "warning",
      );
      const guardNote = caps.notes.find((n) => n.startsWith("no eBPF port guard"));
      add(
        "eBPF port guard (clang-built classifier, bpffs, cls_bpf)",
        caps.portGuard === true,
        caps.portGuard === true
          ? "loads: max_chain_length and RA option filtering are enforced"
          : `${guardNote ?? "absent"} (scripts/setup.sh installs clang, libbpf-dev and bpftool)`,
        "warning",
      );
    } catch (error) {
      add("metald_security tables load", false, (error as Error).message);
    } finally {
      await driver.destroy([]).catch(() => undefined);
    }
  }
  if (hardening) {
    // Drift from `metald harden`'s settings is reported, not fatal: the operator decides.
    try {
      const drift = await hardening.verify();
      add(
        "IPv6 host hardening (sysctl)",
        drift.length === 0,
        drift.length === 0
          ? `${hardening.confPath} in force`
          : `drift, run \`metald harden\`: ${drift
              .map(
                (d) =>
                  `${d.key} is ${d.actual ?? "unset"}${d.inFile ? "" : " (not in the file)"}, want ${d.expected ?? "absent"}`,
              )
              .join("; ")}`,
        "warning",
      );
    } catch (error) {
      add("IPv6 host hardening (sysctl)", false, (error as Error).message, "warning");
    }
  }
  return checks;
}

const MARK = { ok: "✅", missing: "❌", warning: "⚠️ " } as const;

export function formatPrecheck(checks: Check[]): { text: string; exitCode: number } {
  const lines = ["Metald IPv6 Deployment Pre-Check", "================================="];
  for (const c of checks) lines.push(`${MARK[c.status]} ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => c.status === "missing");
  lines.push(
    "",
    failed.length === 0
      ? "Pre-check completed successfully!"
      : `Pre-check failed: ${failed.length} required capability missing.`,
  );
  return { text: lines.join("\n"), exitCode: failed.length === 0 ? 0 : 1 };
}
