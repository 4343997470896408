import { afterAll, describe, expect, it } from "vitest";
import { RunError } from "./command-runner.js";
import { startHelperRunner } from "./helper-runner.js";

describe("the host command helper", () => {
  const runner = startHelperRunner();
  afterAll(() => runner.close());

  it("runs commands with argument arrays, input and a stable locale, in a process of its own", async () => {
    expect(runner.pid).toBeGreaterThan(0);
    expect(runner.pid).not.toBe(process.pid);
    expect(await runner.run("printf", ["%s|%s", "a b", "$HOME"])).toBe("a b|$HOME");
    expect(await runner.run("cat", [], { input: "from stdin\n" })).toBe("from stdin\n");
    expect((await runner.run("sh", ["-c", "echo $LC_ALL"])).trim()).toBe("C");
  });

  it("answers many concurrent commands, each with its own output", async () => {
    const outs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => runner.run("echo", [`n${i}`])),
    );
    expect(outs).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}\n`));
  });

  it("reports a failed or missing command as a RunError with its exit code and stderr", async () => {
    const failed = await runner.run("sh", ["-c", "echo nope >&2; exit 3"]).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RunError);
    expect(failed).toMatchObject({ exitCode: 3, stderr: "nope\n" });
    const missing = await runner.run("/nonexistent/cmd", []).catch((e: unknown) => e);
    expect(missing).toMatchObject({ exitCode: null });
  });

  it("falls back to spawning directly once the helper is gone", async () => {
    const own = startHelperRunner();
    own.close();
    expect(await own.run("echo", ["still"])).toBe("still\n");
  });
});
