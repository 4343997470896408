import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kernelTestsCanRun } from "../testing/kernel-test-requirements.js";
import { createCommandRunner, RunError } from "./command-runner.js";
import { ipNetns } from "./ip-link.js";
import { createNamespaceSysctlWriter } from "./sysctl-writer.js";

const canRun = kernelTestsCanRun("sysctls of a namespace in one sysctl run", ["root", "ip"]);

describe.runIf(canRun)("sysctls of a namespace in one sysctl run", { timeout: 30_000 }, () => {
  const namespace = `msys-${randomBytes(3).toString("hex")}`;
  const runner = createCommandRunner();
  const writer = createNamespaceSysctlWriter(runner, namespace);
  const read = async (key: string) =>
    (await runner.run("ip", ["netns", "exec", namespace, "sysctl", "-n", key])).trim();

  beforeAll(async () => {
    await runner.run("ip", ipNetns.add(namespace));
  });
  afterAll(async () => {
    await runner.run("ip", ipNetns.delete(namespace)).catch(() => undefined);
  });

  it("writes every key given, in slash form", async () => {
    await writer.write([
      { key: "net/ipv6/conf/default/accept_ra", value: "0" },
      { key: "net/ipv6/conf/lo/autoconf", value: "0" },
    ]);
    expect(await read("net.ipv6.conf.default.accept_ra")).toBe("0");
    expect(await read("net.ipv6.conf.lo.autoconf")).toBe("0");
  });

  it("fails naming a key that cannot be written, after writing the others", async () => {
    const error = await writer
      .write([
        { key: "net/ipv6/conf/nosuch0/accept_ra", value: "0" },
        { key: "net/ipv6/conf/lo/autoconf", value: "1" },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).stderr).toContain("nosuch0");
    expect(await read("net.ipv6.conf.lo.autoconf")).toBe("1");
  });

  it("refuses a key outside net/ and a value that is not one word, writing nothing", async () => {
    await expect(writer.write([{ key: "kernel/hostname", value: "x" }])).rejects.toThrow(/net\//);
    await expect(
      writer.write([{ key: "net/ipv6/conf/lo/autoconf", value: "0\nkernel/x = 1" }]),
    ).rejects.toThrow(/one word/);
    expect(await read("net.ipv6.conf.lo.autoconf")).toBe("1");
  });
});
