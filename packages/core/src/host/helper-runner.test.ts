import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { REQUIRE_KERNEL_TESTS_FLAG } from "../testing/kernel-test-requirements.js";
import { RunError } from "./command-runner.js";
import { NATIVE_HELPER, startHelperRunner } from "./helper-runner.js";

const nativeBuilt = existsSync(NATIVE_HELPER);

// CI builds with clang (scripts/setup.sh): the native helper must be there.
it.runIf(process.env[REQUIRE_KERNEL_TESTS_FLAG] === "1")("builds the native helper", () => {
  expect(nativeBuilt).toBe(true);
});

describe.each([
  { helper: "native", native: true },
  { helper: "Node", native: false },
])("the $helper host command helper", ({ native }) => {
  const runIt = native && !nativeBuilt ? it.skip : it;
  const runner = startHelperRunner({ native: native && nativeBuilt });
  afterAll(() => runner.close());

  runIt(
    "runs commands with argument arrays, input and a stable locale, in a process of its own",
    async () => {
      expect(runner.pid).toBeGreaterThan(0);
      expect(runner.pid).not.toBe(process.pid);
      expect(await runner.run("printf", ["%s|%s", "a b", "$HOME"])).toBe("a b|$HOME");
      expect(await runner.run("cat", [], { input: "from stdin\n" })).toBe("from stdin\n");
      expect(await runner.run("cat", [], { input: "" })).toBe("");
      expect((await runner.run("sh", ["-c", "echo $LC_ALL"])).trim()).toBe("C");
      // Empty arguments, multibyte text and an input larger than a pipe's buffer arrive whole.
      expect(await runner.run("printf", ["[%s][%s]", "", "é ü"])).toBe("[][é ü]");
      const big = `${"x".repeat(999)}\n`.repeat(1000);
      expect(await runner.run("cat", [], { input: big })).toBe(big);
    },
  );

  runIt("answers many concurrent commands, each with its own output", async () => {
    const outs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => runner.run("echo", [`n${i}`])),
    );
    expect(outs).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}\n`));
  });

  runIt(
    "reports a failed, killed or missing command as a RunError with its exit code and stderr",
    async () => {
      const failed = await runner
        .run("sh", ["-c", "echo nope >&2; exit 3"])
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(RunError);
      expect(failed).toMatchObject({ exitCode: 3, stderr: "nope\n" });
      const killed = await runner.run("sh", ["-c", "kill -9 $$"]).catch((e: unknown) => e);
      expect(killed).toMatchObject({ exitCode: null });
      const missing = await runner.run("/nonexistent/cmd", []).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(RunError);
      expect(missing).toMatchObject({ exitCode: null });
      const nul = await runner.run("echo", ["a\0b"]).catch((e: unknown) => e);
      expect(nul).toBeInstanceOf(RunError);
      // The helper still answers after all of them.
      expect(await runner.run("echo", ["after"])).toBe("after\n");
    },
  );

  runIt("falls back to spawning directly once the helper is gone", async () => {
    const own = startHelperRunner({ native });
    own.close();
    expect(await own.run("echo", ["still"])).toBe("still\n");
  });
});
