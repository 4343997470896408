// The port guard programmed for real: guard-ports attaches the classifier to a port in a named
// namespace and writes its settings, as `tc` and `bpftool` read them back; a failure leaves the
// port as it was.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner, RunError } from "./command-runner.js";
import { ipNetns } from "./ip-link.js";
import { createVmGuard, DEFAULT_GUARD_PORTS } from "./vm-guard.js";

const canRun = kernelTestsCanRun("the port guard programmed by guard-ports", ["root", "ip", "bpf"]);

describe.runIf(canRun)("the port guard programmed by guard-ports", { timeout: 30_000 }, () => {
  const namespace = `mgrd-${randomBytes(3).toString("hex")}`;
  const runner = createCommandRunner();
  const guard = createVmGuard({ runner, namespace });
  let ifindex = 0;
  const tc = (...args: string[]) => runner.run("tc", args, { netns: namespace });
  const settings = async () =>
    JSON.parse(
      await runner.run("bpftool", ["-j", "map", "dump", "pinned", `${guard.pinDir}/settings`]),
    ) as { formatted?: { key: number; value: { flags: number; max_chain_length: number } } }[];

  beforeAll(async () => {
    await runner.run("ip", ipNetns.add(namespace));
    await runner.run("ip", ["link", "add", "grd0", "type", "veth", "peer", "name", "grd1"], {
      netns: namespace,
    });
    const [link] = JSON.parse(
      await runner.run("ip", ["-j", "link", "show", "grd0"], { netns: namespace }),
    ) as { ifindex: number }[];
    ifindex = link?.ifindex ?? 0;
    expect(await guard.unavailable()).toBeUndefined();
  });
  afterAll(async () => {
    await guard.unload();
    await runner.run("ip", ipNetns.delete(namespace)).catch(() => undefined);
  });

  it("attaches both programs direct-action and writes the settings; detaches and clears them", async () => {
    const port = { name: "grd0", ifindex, guard: { flags: 9, maxChainLength: 3 } };
    await guard.apply([port]);
    expect(await tc("filter", "show", "dev", "grd0", "ingress")).toMatch(
      /handle 0x1 from_vm direct-action/,
    );
    expect(await tc("filter", "show", "dev", "grd0", "egress")).toMatch(
      /handle 0x1 to_vm direct-action/,
    );
    expect((await settings()).map((e) => e.formatted)).toEqual([
      { key: ifindex, value: { flags: 9, max_chain_length: 3, pad: [0, 0] } },
    ]);
    await guard.apply([{ ...port, guard: undefined }]);
    expect(await tc("qdisc", "show", "dev", "grd0")).not.toMatch(/clsact/);
    expect(await settings()).toEqual([]);
  });

  it("stops at the first failing line and leaves the port unchanged by an attach that fails", async () => {
    const failure = runner
      .run(DEFAULT_GUARD_PORTS, [], {
        input: `detach ${ifindex}\nattach ${ifindex} ${guard.pinDir}/missing ${guard.pinDir}/to_vm\n`,
        netns: namespace,
      })
      .catch((error: unknown) => error);
    const error = await failure;
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).stderr).toMatch(/^line 2: .*missing: No such file or directory/);
    expect(await tc("qdisc", "show", "dev", "grd0")).not.toMatch(/clsact/);
    await expect(
      runner.run(DEFAULT_GUARD_PORTS, [], {
        input: `update ${guard.pinDir}/settings 0102 00000000\n`,
      }),
    ).rejects.toThrow(/line 1: key 0102: 4 bytes expected/);
    await expect(runner.run(DEFAULT_GUARD_PORTS, [], { input: "attach 1 2\n" })).rejects.toThrow(
      /line 1: attach: unknown operation or wrong number of arguments/,
    );
  });
});
