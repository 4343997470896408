import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner, RunError } from "./command-runner.js";
import { HostApplyError } from "./host-apply-error.js";
import { runIpBatch } from "./ip-batch.js";
import { ipNetns } from "./ip-link.js";
import { createNftChannel, toTransactionLine } from "./nft-channel.js";

const canRun = kernelTestsCanRun("nft channel and ip batch in a network namespace", [
  "root",
  "ip",
  "nft",
]);

describe("toTransactionLine", () => {
  it("joins a script's statements into one line, one transaction", () => {
    expect(
      toTransactionLine('add element inet t s { "a" }\n\n  delete element inet t s { "b" }\n'),
    ).toBe('add element inet t s { "a" }; delete element inet t s { "b" }');
  });
});

describe.skipIf(!canRun)(
  "nft channel and ip batch in a network namespace",
  { timeout: 30_000 },
  () => {
    const namespace = `mnftc-${randomBytes(3).toString("hex")}`;
    const runner = createCommandRunner();
    const channel = createNftChannel({ namespace });
    const elements = async () =>
      (
        await runner.run("ip", ["netns", "exec", namespace, "nft", "list", "set", "inet", "t", "s"])
      ).replace(/\s+/g, " ");

    beforeAll(async () => {
      await runner.run("ip", ipNetns.add(namespace));
      await runner.run("ip", ["netns", "exec", namespace, "nft", "-f", "-"], {
        input: "table inet t {\n  set s {\n    type ifname\n  }\n}\n",
      });
    });
    afterAll(async () => {
      channel.close();
      await runner.run("ip", ipNetns.delete(namespace)).catch(() => undefined);
    });

    it("applies each script as one transaction, and a refused one applies nothing, with nft's reason", async () => {
      await channel.apply('add element inet t s { "a" }\nadd element inet t s { "b" }\n');
      const refused = await channel
        .apply('add element inet t s { "c" }\nadd element inet t nosuch { "d" }\n')
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RunError);
      expect((refused as RunError).stderr).toMatch(/^Error: No such file or directory/);
      expect((refused as RunError).stderr).toContain("nosuch");
      // The channel goes on after a refusal; transactions sent together answer in order.
      await Promise.all([
        channel.apply('add element inet t s { "e" }\n'),
        channel.apply('delete element inet t s { "a" }\n'),
      ]);
      const now = await elements();
      expect(now).toContain('"b"');
      expect(now).toContain('"e"');
      expect(now).not.toContain('"a"');
      expect(now).not.toContain('"c"');
    });

    it("runs an ip batch in one process and names the failed command's step and the kernel's reason", async () => {
      await runIpBatch(runner, "vm-batch", namespace, [
        { args: ["link", "add", "br-b", "type", "bridge"], step: "bridge", subject: "br-b" },
        { args: ["link", "set", "br-b", "up"], step: "bridge", subject: "br-b" },
      ]);
      const failed = await runIpBatch(runner, "vm-batch", namespace, [
        { args: ["link", "set", "br-b", "down"], step: "bridge", subject: "br-b" },
        { args: ["link", "set", "nosuch0", "master", "br-b"], step: "port", subject: "nosuch0" },
      ]).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(HostApplyError);
      expect((failed as HostApplyError).step).toBe("port");
      expect((failed as HostApplyError).subject).toBe("nosuch0");
      expect((failed as HostApplyError).message).toContain('Cannot find device "nosuch0"');
    });
  },
);
