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
});
