import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner, RunError } from "./command-runner.js";
import { NATIVE_HELPER, startHelperRunner } from "./helper-runner.js";
import { ipNetns } from "./ip-link.js";

const canRun = kernelTestsCanRun("host commands in a named network namespace", ["root", "ip"]);

describe.runIf(canRun)("host commands in a named network namespace", { timeout: 30_000 }, () => {
  const namespace = `mhlp-${randomBytes(3).toString("hex")}`;
  const setup = createCommandRunner();
  const runners = {
    direct: setup,
    native: existsSync(NATIVE_HELPER) ? startHelperRunner({ native: true }) : undefined,
    node: startHelperRunner({ native: false }),
  };
  beforeAll(async () => {
    await setup.run("ip", ipNetns.add(namespace));
    await setup.run("ip", ["-n", namespace, "link", "add", "hlp0", "type", "bridge"]);
  });
  afterAll(async () => {
    runners.native?.close();
    runners.node.close();
    await setup.run("ip", ipNetns.delete(namespace)).catch(() => undefined);
  });

  it.each(Object.keys(runners))(
    "%s: runs there with the host's mount namespace, and the next command runs at home",
    async (name) => {
      const runner = runners[name as keyof typeof runners];
      if (!runner) throw new Error(`the ${name} helper was not built`);
      const links = await runner.run("ip", ["-j", "-batch", "-"], {
        input: "link show hlp0\n",
        netns: namespace,
      });
      expect(JSON.parse(links)).toMatchObject([{ ifname: "hlp0" }]);
      // The mount namespace is the host's: its own mount table, not a copy made for the command.
      const mounts = async (netns?: string) =>
        (await runner.run("readlink", ["/proc/self/ns/mnt"], { netns })).trim();
      expect(await mounts(namespace)).toBe(await mounts());
      const home = await runner.run("ip", ["-j", "link", "show"]);
      expect(JSON.parse(home).some((l: { ifname: string }) => l.ifname === "hlp0")).toBe(false);
    },
  );

  it.each(Object.keys(runners))(
    "%s: refuses a missing or malformed namespace with a RunError",
    async (name) => {
      const runner = runners[name as keyof typeof runners];
      if (!runner) throw new Error(`the ${name} helper was not built`);
      for (const netns of [`${namespace}-missing`, "../etc", ""]) {
        const error = await runner.run("true", [], { netns }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RunError);
      }
    },
  );
});
