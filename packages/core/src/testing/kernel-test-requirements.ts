// Whether tests that need the real kernel (root, namespaces, nftables, scapy, tcpdump) can run
// here. Without them a developer's machine skips those tests; with METALD_REQUIRE_KERNEL_TESTS=1
// (CI) a missing requirement fails the test file, naming what is missing, so nothing is skipped
// silently.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { DEFAULT_GUARD_OBJECT, DEFAULT_GUARD_PORTS } from "../host/vm-guard.js";

/** Debian's python3, the one with scapy (the python3 first on PATH may lack it). */
export const SCAPY_PYTHON = "/usr/bin/python3";

export type KernelRequirement = "root" | "ip" | "nft" | "scapy" | "tcpdump" | "sysctl" | "bpf";

export const REQUIRE_KERNEL_TESTS_FLAG = "METALD_REQUIRE_KERNEL_TESTS";

const succeeds = (command: string, args: string[]): boolean => {
  try {
    execFileSync(command, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

const PROBES: Record<KernelRequirement, { present: () => boolean; missing: string }> = {
  root: { present: () => process.getuid?.() === 0, missing: "root (namespaces and nftables)" },
  ip: { present: () => succeeds("ip", ["-V"]), missing: "the ip command (iproute2)" },
  nft: { present: () => succeeds("nft", ["--version"]), missing: "the nft command (nftables)" },
  scapy: {
    present: () => succeeds(SCAPY_PYTHON, ["-c", "import scapy"]),
    missing: `scapy for ${SCAPY_PYTHON} (python3-scapy)`,
  },
  tcpdump: { present: () => succeeds("tcpdump", ["--version"]), missing: "tcpdump" },
  sysctl: {
    present: () => succeeds("sysctl", ["--version"]),
    missing: "the sysctl command (procps)",
  },
  bpf: {
    present: () =>
      existsSync(DEFAULT_GUARD_OBJECT) &&
      existsSync(DEFAULT_GUARD_PORTS) &&
      succeeds("bpftool", ["version"]),
    missing:
      "the eBPF port guard: bpftool, and vm_guard.o and guard-ports built with clang (scripts/setup.sh)",
  },
};

const known = new Map<KernelRequirement, boolean>();
const isPresent = (requirement: KernelRequirement): boolean => {
  let present = known.get(requirement);
  if (present === undefined) {
    present = PROBES[requirement].present();
    known.set(requirement, present);
  }
  return present;
};

/**
 * True when every requirement is met (run the tests), false when one is missing (skip them),
 * and throws naming what is missing when METALD_REQUIRE_KERNEL_TESTS=1.
 * Use as `describe.runIf(kernelTestsCanRun("what these tests prove", ["root", "nft"]))`.
 */
export function kernelTestsCanRun(
  suite: string,
  requirements: readonly KernelRequirement[],
): boolean {
  const missing = requirements.filter((r) => !isPresent(r)).map((r) => PROBES[r].missing);
  if (missing.length === 0) return true;
  if (process.env[REQUIRE_KERNEL_TESTS_FLAG] === "1") {
    throw new Error(
      `${REQUIRE_KERNEL_TESTS_FLAG}=1 but "${suite}" cannot run here: missing ${missing.join(", ")}`,
    );
  }
  return false;
}
