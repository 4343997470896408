import { expect, it } from "vitest";
import { createHostChangeLock } from "./host-change-lock.js";

/** A task that runs until released, recording when it starts and ends. */
function gate(log: string[], name: string) {
  let open: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (open = resolve));
  return {
    task: async () => {
      log.push(`${name} start`);
      await released;
      log.push(`${name} end`);
      return name;
    },
    release: () => open(),
  };
}

/** Lets every promise callback that can run, run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

it("runs changes of different VMs together and changes of one VM one after another", async () => {
  const lock = createHostChangeLock();
  const log: string[] = [];
  const a1 = gate(log, "a1");
  const b = gate(log, "b");
  const a2 = gate(log, "a2");
  const results = [lock.shared("vm-a", a1.task), lock.shared("vm-b", b.task)];
  results.push(lock.shared("vm-a", a2.task));
  await settle();
  expect(log).toEqual(["a1 start", "b start"]);
  a1.release();
  await settle();
  expect(log).toEqual(["a1 start", "b start", "a1 end", "a2 start"]);
  b.release();
  a2.release();
  expect(await Promise.all(results)).toEqual(["a1", "b", "a2"]);
});

it("starts a reconcile once the changes in progress end, and holds back changes that arrive meanwhile", async () => {
  const lock = createHostChangeLock();
  const log: string[] = [];
  const change = gate(log, "change");
  const reconcile = gate(log, "reconcile");
  const later = gate(log, "later");
  const first = lock.shared("vm-a", change.task);
  await settle();
  const exclusive = lock.exclusive(reconcile.task);
  const second = lock.shared("vm-b", later.task);
  await settle();
  expect(log).toEqual(["change start"]);
  change.release();
  await settle();
  expect(log).toEqual(["change start", "change end", "reconcile start"]);
  reconcile.release();
  await settle();
  expect(log).toEqual([
    "change start",
    "change end",
    "reconcile start",
    "reconcile end",
    "later start",
  ]);
  later.release();
  expect(await Promise.all([first, exclusive, second])).toEqual(["change", "reconcile", "later"]);
});

it("releases the lock when a task fails, and a failed change does not stop the VM's next one", async () => {
  const lock = createHostChangeLock();
  const failed = lock.shared("vm-a", async () => {
    throw new Error("host refused");
  });
  const next = lock.shared("vm-a", async () => "next");
  await expect(failed).rejects.toThrow("host refused");
  expect(await next).toBe("next");
  await expect(
    lock.exclusive(async () => {
      throw new Error("reconcile failed");
    }),
  ).rejects.toThrow("reconcile failed");
  expect(await lock.shared("vm-b", async () => "after")).toBe("after");
  expect(await lock.exclusive(async () => "again")).toBe("again");
});
