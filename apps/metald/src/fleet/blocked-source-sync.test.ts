import { createDryRunDriver, type HostDriver } from "@metald/core";
import type { BlockedSource } from "@metald/db";
import { describe, expect, it } from "vitest";
import { createHostChangeLock } from "../vm/host-change-lock.js";
import { createBlockedSourceSync } from "./blocked-source-sync.js";

/** The shared table as two hosts see it: rows added and removed through either. */
function sharedTable() {
  const rows = new Map<string, BlockedSource>();
  return {
    rows,
    add: (source: string) =>
      rows.set(source, { source, reason: "", actor: "operator", createdAt: new Date(0) }),
    list: async () => [...rows.values()],
  };
}

function hostOn(table: ReturnType<typeof sharedTable>, driver: HostDriver = createDryRunDriver()) {
  const calls: { add: string[]; remove: string[] }[] = [];
  const recording: HostDriver = {
    ...driver,
    async updateBlockedSources(add, remove) {
      calls.push({ add, remove });
      await driver.updateBlockedSources(add, remove);
    },
  };
  const sync = createBlockedSourceSync({
    repository: table,
    driver: recording,
    hostLock: createHostChangeLock(),
  });
  return { sync, calls };
}

describe("the fleet's blocked sources on one host", () => {
  it("programs rows added and removed through other hosts, and nothing when nothing changed", async () => {
    const table = sharedTable();
    const kernel = createDryRunDriver();
    const { sync, calls } = hostOn(table, kernel);
    table.add("2001:db8:bad::1");
    table.add("2001:db8:bad::/48");
    expect(await sync.apply()).toEqual({
      added: ["2001:db8:bad::1", "2001:db8:bad::/48"],
      removed: [],
    });
    expect(await sync.apply()).toEqual({ added: [], removed: [] });
    expect(calls).toHaveLength(1);
    table.rows.delete("2001:db8:bad::1");
    expect(await sync.apply()).toEqual({ added: [], removed: ["2001:db8:bad::1"] });
    expect([...kernel.blockedSources]).toEqual(["2001:db8:bad::/48"]);
  });

  it("takes what a reconcile read as programmed", async () => {
    const table = sharedTable();
    const { sync, calls } = hostOn(table);
    table.add("2001:db8:bad::1");
    expect(await sync.readForReconcile()).toEqual(["2001:db8:bad::1"]);
    expect(await sync.apply()).toEqual({ added: [], removed: [] });
    expect(calls).toEqual([]);
  });

  it("retries on the next tick what the kernel refused", async () => {
    const table = sharedTable();
    const kernel = createDryRunDriver();
    let refuse = true;
    const { sync } = hostOn(table, {
      ...kernel,
      async updateBlockedSources(add, remove) {
        if (refuse) throw new Error("nft: Could not process rule");
        await kernel.updateBlockedSources(add, remove);
      },
    });
    table.add("2001:db8:bad::1");
    await expect(sync.apply()).rejects.toThrow(/Could not process rule/);
    refuse = false;
    expect(await sync.apply()).toEqual({ added: ["2001:db8:bad::1"], removed: [] });
    expect([...kernel.blockedSources]).toEqual(["2001:db8:bad::1"]);
  });
});
