import { describe, expect, it } from "vitest";
import { RunError } from "./command-runner.js";
import { timedNftTransactions, timedRunner } from "./timed-runner.js";

describe("timed host work", () => {
  it("reports each command by its program's file name, succeeded or failed, and keeps its result", async () => {
    const seen: [string, boolean][] = [];
    const runner = timedRunner(
      {
        run: async (command, args, options) => {
          if (command === "tc") throw new RunError("tc", args, 1, "refused");
          return `${command} ${args.join(" ")} ${options?.netns ?? ""}`;
        },
      },
      (name, seconds, ok) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        seen.push([name, ok]);
      },
    );
    expect(await runner.run("/opt/metald/guard-ports", ["a"], { netns: "sbx" })).toBe(
      "/opt/metald/guard-ports a sbx",
    );
    await expect(runner.run("tc", ["-batch", "-"])).rejects.toThrow(/refused/);
    expect(seen).toEqual([
      ["guard-ports", true],
      ["tc", false],
    ]);
  });

  it("reports nft transactions and passes close through", async () => {
    const seen: string[] = [];
    let closed = false;
    const channel = timedNftTransactions(
      {
        apply: async (script) => {
          if (script === "bad") throw new Error("refused");
        },
        close: () => {
          closed = true;
        },
      },
      (name, _seconds, ok) => seen.push(`${name} ${ok}`),
    );
    await channel.apply("add element");
    await expect(channel.apply("bad")).rejects.toThrow("refused");
    channel.close();
    expect(seen).toEqual(["nft-transaction true", "nft-transaction false"]);
    expect(closed).toBe(true);
  });
});
