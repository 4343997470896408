import { describe, expect, it } from "vitest";
import { createKeyedMutex } from "./keyed-mutex.js";

/** A task that records when it runs and finishes only when released. */
function gate() {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  return { release, released };
}

describe("createKeyedMutex", () => {
  it("runs tasks of one key one after another, in arrival order", async () => {
    const mutex = createKeyedMutex();
    const order: string[] = [];
    const first = gate();
    const started = gate();
    const a = mutex.run(["br"], async () => {
      order.push("a:start");
      started.release();
      await first.released;
      order.push("a:end");
    });
    const b = mutex.run(["br"], async () => {
      order.push("b");
    });
    await started.released;
    expect(order).toEqual(["a:start"]);
    first.release();
    await Promise.all([a, b]);
    expect(order).toEqual(["a:start", "a:end", "b"]);
  });

  it("lets tasks of other keys run meanwhile", async () => {
    const mutex = createKeyedMutex();
    const held = gate();
    const a = mutex.run(["one"], () => held.released);
    await expect(mutex.run(["two"], async () => "ran")).resolves.toBe("ran");
    held.release();
    await a;
  });

  it("waits for every key a task holds", async () => {
    const mutex = createKeyedMutex();
    const held = gate();
    const order: string[] = [];
    const a = mutex.run(["x"], async () => {
      await held.released;
      order.push("a");
    });
    const b = mutex.run(["y", "x"], async () => {
      order.push("b");
    });
    held.release();
    await Promise.all([a, b]);
    expect(order).toEqual(["a", "b"]);
  });

  it("passes a failure to its caller only; the next task still runs", async () => {
    const mutex = createKeyedMutex();
    const failed = mutex.run(["k"], async () => {
      throw new Error("boom");
    });
    await expect(failed).rejects.toThrow("boom");
    await expect(mutex.run(["k"], async () => 7)).resolves.toBe(7);
  });
});
