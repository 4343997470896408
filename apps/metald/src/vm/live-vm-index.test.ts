import type { StoredSecurityEvent } from "@metald/db";
import { describe, expect, it } from "vitest";
import { loadLiveVmIndex } from "./live-vm-index.js";
import type { VmView } from "./vm-provisioner.js";

const view = (id: string, state = "RUNNING") => ({ record: { id, state } }) as unknown as VmView;
const event = (eventType: string, vmId: string) =>
  ({ eventType, vmId }) as unknown as StoredSecurityEvent;

function fakeProvisioner(rows: VmView[]) {
  const db = new Map(rows.map((v) => [v.record.id, v]));
  const calls = { list: 0, get: [] as string[] };
  return {
    db,
    calls,
    provisioner: {
      async get(id: string) {
        calls.get.push(id);
        return db.get(id);
      },
      async list(filter: { afterId?: string; limit: number; excludeStates?: string[] }) {
        calls.list++;
        return [...db.values()]
          .filter((v) => filter.afterId === undefined || v.record.id > filter.afterId)
          .filter((v) => !filter.excludeStates?.includes(v.record.state))
          .sort((a, b) => a.record.id.localeCompare(b.record.id))
          .slice(0, filter.limit);
      },
    },
  };
}

describe("live VM index", () => {
  it("reads the VMs not terminated once at start (the database leaves the others out) and lists them without the database", async () => {
    const fake = fakeProvisioner([view("a"), view("b", "TERMINATED"), view("c"), view("d")]);
    const index = await loadLiveVmIndex(
      { provisioner: fake.provisioner, onError: () => {}, pageSize: 2 },
      () => {},
    );
    const reads = fake.calls.list;
    expect(index.list().map((v) => v.record.id)).toEqual(["a", "c", "d"]);
    index.list();
    expect(fake.calls.list).toBe(reads);
    expect(fake.calls.get).toEqual([]);
  });

  it("re-reads only the VM a committed change names: created, changed, deleted", async () => {
    const fake = fakeProvisioner([view("a")]);
    let listener: (events: readonly StoredSecurityEvent[]) => void = () => {};
    const index = await loadLiveVmIndex(
      { provisioner: fake.provisioner, onError: () => {} },
      (l) => {
        listener = l;
      },
    );
    fake.db.set("b", view("b"));
    listener([event("config_change", "b"), event("source_spoofing", "a")]);
    await index.settled();
    expect(index.list().map((v) => v.record.id)).toEqual(["a", "b"]);
    expect(fake.calls.get).toEqual(["b"]);
    fake.db.set("a", view("a", "TERMINATED"));
    listener([event("config_change", "a")]);
    fake.db.set("b", { ...view("b"), isolated: true } as unknown as VmView);
    listener([event("vm_quarantined", "b")]);
    await index.settled();
    expect(index.list()).toEqual([{ ...view("b"), isolated: true }]);
  });
});
