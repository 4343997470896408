import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandRunner } from "./command-runner.js";
import { createVmGuard } from "./vm-guard.js";

interface Call {
  command: string;
  args: readonly string[];
  input?: string;
  netns?: string;
}

function recordingRunner(): { runner: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner["run"] = async (command, args, options = {}) => {
    calls.push({ command, args, ...options });
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

  it("says so where guard-ports was not built", async () => {
    const { runner, calls } = recordingRunner();
    const guard = createVmGuard({
      runner,
      namespace: "sbx",
      object: import.meta.filename,
      guardPorts: "/nonexistent/guard-ports",
    });
    expect(await guard.unavailable()).toMatch(
      /guard-ports \/nonexistent\/guard-ports was not built/,
    );
    expect(calls).toEqual([]);
  });

  it("refuses a pin directory guard-ports could not read as one word", () => {
    const { runner } = recordingRunner();
    expect(() => createVmGuard({ runner, namespace: "sbx", pinDir: "/sys/fs/bpf/a b" })).toThrow(
      /no spaces/,
    );
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

  it("writes a port's settings only when they change, before it attaches it once, in the ports' namespace", async () => {
    const { runner, calls } = recordingRunner();
    const pinDir = await mkdtemp(join(tmpdir(), "metald-guard-"));
    try {
      // The object is never loaded (bpftool is recorded); these files only have to exist.
      const guard = createVmGuard({
        runner,
        namespace: "sbx",
        pinDir,
        object: import.meta.filename,
        guardPorts: "/bin/true",
      });
      const port = { name: "tap0", ifindex: 4, guard: { flags: 1, maxChainLength: 3 } };
      const programs = () => calls.filter((c) => c.command === "/bin/true");
      await guard.apply([port]);
      expect(programs()).toEqual([
        {
          command: "/bin/true",
          args: [],
          netns: "sbx",
          input: `update ${pinDir}/settings 04000000 01030000\nattach 4 ${pinDir}/from_vm ${pinDir}/to_vm\n`,
        },
      ]);
      await guard.apply([port]);
      expect(programs()).toHaveLength(1);
      await guard.apply([{ ...port, guard: { flags: 1, maxChainLength: 4 } }]);
      expect(programs()[1]?.input).toBe(`update ${pinDir}/settings 04000000 01040000\n`);
      // Without settings: detached, its settings removed.
      await guard.apply([{ ...port, guard: undefined }]);
      expect(
        programs()
          .slice(2)
          .map((c) => c.input),
      ).toEqual(["detach 4\n", `delete ${pinDir}/settings 04000000\n`]);
    } finally {
      await rm(pinDir, { recursive: true, force: true });
    }
  });
});
