import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandRunner } from "./command-runner.js";
import { createVmGuard } from "./vm-guard.js";

function recordingRunner(): { runner: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const run = async (command: string, args: readonly string[]) => {
    calls.push([command, ...args]);
    return "";
  };
  return { calls, runner: { run } };
}

describe("the eBPF port guard on the host", () => {
  it("says why it cannot run where the classifier was not built, and runs nothing", async () => {
    const { runner, calls } = recordingRunner();
    const guard = createVmGuard({ runner, namespace: "sbx", object: "/nonexistent/vm_guard.o" });
    expect(await guard.unavailable()).toMatch(/was not built/);
    expect(calls).toEqual([]);
  });

  it("pins under a directory named after its namespace, so two hosts sides never share maps", () => {
    const { runner } = recordingRunner();
    expect(createVmGuard({ runner, namespace: "msbx-a" }).pinDir).toBe("/sys/fs/bpf/metald/msbx-a");
    expect(createVmGuard({ runner, namespace: undefined }).pinDir).toBe("/sys/fs/bpf/metald/host");
  });

  it("programs nothing for ports without settings that it never guarded", async () => {
    const { runner, calls } = recordingRunner();
    const guard = createVmGuard({ runner, namespace: "sbx", object: "/nonexistent/vm_guard.o" });
    await guard.apply([{ name: "tap0", ifindex: 4, guard: undefined }]);
    expect(calls).toEqual([]);
  });

  it("writes a port's settings only when they change, and attaches it once", async () => {
    const { runner, calls } = recordingRunner();
    const pinDir = await mkdtemp(join(tmpdir(), "metald-guard-"));
    try {
      // The object is never loaded (bpftool is recorded); this file only has to exist.
      const guard = createVmGuard({
        runner,
        namespace: "sbx",
        pinDir,
        object: import.meta.filename,
      });
      const port = { name: "tap0", ifindex: 4, guard: { flags: 1, maxChainLength: 3 } };
      const programs = () => calls.filter((c) => c.includes("batch") || c.includes("-batch"));
      await guard.apply([port]);
      expect(programs().map((c) => c[0])).toEqual(["bpftool", "tc"]);
      await guard.apply([port]);
      expect(programs()).toHaveLength(2);
      await guard.apply([{ ...port, guard: { flags: 1, maxChainLength: 4 } }]);
      expect(programs().map((c) => c[0])).toEqual(["bpftool", "tc", "bpftool"]);
    } finally {
      await rm(pinDir, { recursive: true, force: true });
    }
  });
});
