import { randomBytes } from "node:crypto";
import { chainAuditRecord, parseAuditKeyring } from "@metald/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAuditRepository } from "./audit-repository.js";
import { createAuditWriter } from "./audit-writer.js";
import { TEST_DATABASES, type TestDatabase } from "./test-databases.js";
import { createVmRepository } from "./vm-repository.js";

const KEY = randomBytes(32);

describe.each(Object.entries(TEST_DATABASES))("audit trail on %s", (_name, open) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.drop();
  });
  beforeEach(async () => {
    await t.db.exec(`DELETE FROM audit_records; DELETE FROM audit_checkpoints;
      UPDATE audit_chain SET start_seq = 0, head_seq = 0, head_hash = repeat('0', 64), purged_through_seq = 0;`);
  });

  const repoWith = (every = 2) =>
    createAuditRepository(t.db, {
      writer: createAuditWriter({ checkpointKey: () => KEY, checkpointEvery: every }),
    });

  async function writeFive(every = 2, at = (i: number) => new Date(Date.UTC(2026, 0, 1, i))) {
    const repo = repoWith(every);
    for (let i = 1; i <= 5; i++)
      await repo.append({
        id: `a${i}`,
        occurredAt: at(i),
        actor: "operator:ops",
        tokenId: "tok-ops",
        role: "operator",
        action: "vm.update",
        tenantId: "acme",
        vmId: `vm-${i}`,
        clientAddress: "2001:db8::7",
        userAgent: "curl/8.5",
        details: { reason: "change", n: i, nested: { b: 1, a: [1.5, "x"] } },
        before: { profile: "LOW" },
        after: { profile: "HIGH", n: i },
      });
    return repo;
  }

  it("appends a chain that verifies, with its checkpoints signed", async () => {
    const repo = await writeFive();
    expect(await repo.verify(KEY)).toMatchObject({
      intact: true,
      recordsChecked: 5,
      checkpointsChecked: 2,
      headSeq: 5,
    });
    const [newest] = await repo.list({ limit: 1 });
    expect(newest).toMatchObject({ id: "a5", before: { profile: "LOW" }, after: { n: 5 } });
  });

  it("names a modified record", async () => {
    const repo = await writeFive();
    await t.db.query("UPDATE audit_records SET actor = 'someone' WHERE seq = 3");
    expect((await repo.verify(KEY)).firstBroken).toMatchObject({ seq: 3, id: "a3" });
  });

  it("names the record after a deleted one", async () => {
    const repo = await writeFive();
    await t.db.query("DELETE FROM audit_records WHERE seq = 3");
    const v = await repo.verify(KEY);
    expect(v.intact).toBe(false);
    expect(v.firstBroken).toMatchObject({ seq: 4, id: "a4" });
  });

  it("catches a record inserted into the middle of the chain", async () => {
    const repo = await writeFive();
    const [second] = await repo.after(1, 1);
    // Make room at seq 3, then insert a record linked after seq 2 as the writer would.
    await t.db.exec(
      "UPDATE audit_records SET seq = -seq WHERE seq >= 3; UPDATE audit_records SET seq = 1 - seq WHERE seq < 0;",
    );
    const forged = chainAuditRecord(second?.hash as string, {
      ...(second as NonNullable<typeof second>),
      seq: 3,
      id: "forged",
    });
    await t.db.query(
      `INSERT INTO audit_records (seq, id, occurred_at, actor, action, details, payload, prev_hash, hash)
       VALUES (3, 'forged', $1, $2, $3, $4, $5, $6, $7)`,
      [
        forged.occurredAt.toISOString(),
        forged.actor,
        forged.action,
        JSON.stringify(forged.details),
        forged.payload,
        forged.prevHash,
        forged.hash,
      ],
    );
    const v = await repo.verify(KEY);
    expect(v.intact).toBe(false);
    expect(v.firstBroken?.seq).toBe(3);
  });

  it("catches two records swapped", async () => {
    const repo = await writeFive();
    await t.db.exec(
      "UPDATE audit_records SET seq = -1 WHERE seq = 3; UPDATE audit_records SET seq = 3 WHERE seq = 4; UPDATE audit_records SET seq = 4 WHERE seq = -1;",
    );
    expect((await repo.verify(KEY)).firstBroken).toMatchObject({ seq: 3, id: "a4" });
  });

  it("purges the oldest records up to a checkpoint and still verifies", async () => {
    const repo = await writeFive(100, (i) =>
      i <= 3 ? new Date(Date.UTC(2020, 0, i)) : new Date(Date.UTC(2099, 0, i)),
    );
    expect(await repo.purge(new Date(Date.UTC(2026, 0, 1)), 1000, KEY)).toBe(3);
    expect(await repo.verify(KEY)).toMatchObject({
      intact: true,
      recordsChecked: 2,
      checkpointsChecked: 1,
      purgedThroughSeq: 3,
    });
    // The anchor cannot be removed or forged without verify noticing.
    await t.db.query("UPDATE audit_checkpoints SET signature = repeat('0', 64) WHERE seq = 3");
    expect((await repo.verify(KEY)).firstBroken?.problem).toMatch(/bad signature/);
  });

  it("keeps one chain while several connections append at once", async () => {
    const repo = repoWith(10);
    await Promise.all(
      Array.from({ length: 4 }, (_, w) =>
        (async () => {
          for (let i = 0; i < 15; i++)
            await repo.append({
              id: `w${w}-${i}`,
              occurredAt: new Date(),
              actor: `writer-${w}`,
              action: "test.append",
            });
        })(),
      ),
    );
    expect(await repo.verify(KEY)).toMatchObject({ intact: true, recordsChecked: 60 });
  });

  it("keeps one chain when two writers (two processes) take turns, and after a rolled-back append", async () => {
    const a = createAuditRepository(t.db, { writer: createAuditWriter() });
    const b = createAuditRepository(t.db, { writer: createAuditWriter() });
    const rec = (id: string) => ({ id, occurredAt: new Date(), actor: "x", action: "test" });
    for (let i = 0; i < 4; i++) {
      await a.append(rec(`ta${i}`));
      await b.append(rec(`tb${i}`));
    }
    // The writer remembers a head this rollback never committed; its next append finds out.
    await expect(
      t.db.transaction(async (tx) => {
        await a.writer.append(tx, rec("rolled-back"));
        throw new Error("change refused");
      }),
    ).rejects.toThrow("change refused");
    await a.append(rec("after-rollback"));
    expect(await a.verify()).toMatchObject({ intact: true, recordsChecked: 9, headSeq: 9 });
  });

  it("chains VM changes written by the VM repository with the VM's tenant", async () => {
    const audit = createAuditWriter({ origin: () => ({ clientAddress: "2001:db8::9" }) });
    const vms = createVmRepository(t.db, { audit });
    await vms.insert({
      id: "vm-chain",
      tenantId: "tenant-chain",
      hostId: "h",
      state: "CREATED",
      applicationTier: "web",
      config: {},
      spec: {},
      effective: [],
      addresses: [],
      createdAt: new Date(),
      audit: {
        id: "audit-vm-chain",
        actor: "test",
        action: "vm.create",
        details: {},
        after: { x: 1 },
      },
    });
    await vms.setIsolated("vm-chain", true, new Date(), {
      id: "audit-vm-chain-iso",
      actor: "test",
      action: "vm.isolate",
      details: { reason: "r" },
    });
    const repo = createAuditRepository(t.db);
    expect(await repo.verify()).toMatchObject({ intact: true, recordsChecked: 2 });
    expect(await repo.list({ vmId: "vm-chain", limit: 10 })).toMatchObject([
      { action: "vm.isolate", tenantId: "tenant-chain", clientAddress: "2001:db8::9" },
      { action: "vm.create", tenantId: "tenant-chain", after: { x: 1 } },
    ]);
  });

  it("encrypts payloads at rest; the chain verifies without the key; rotation keeps old records readable", async () => {
    // Long enough that random ciphertext cannot contain them by chance (a 2-character secret
    // turned up in base64 ciphertext about once in 20 runs).
    const S1 = "first-plaintext-secret";
    const S2 = "second-plaintext-secret";
    const k1 = `k1 ${randomBytes(32).toString("base64")}`;
    const k2 = `k2 ${randomBytes(32).toString("base64")}`;
    let ring = parseAuditKeyring(k1, "ring");
    const writer = createAuditWriter({ keyring: () => ring });
    const repo = createAuditRepository(t.db, { writer, keyring: () => ring });
    await repo.append({
      id: "e1",
      occurredAt: new Date(),
      actor: "a",
      action: "x",
      after: { secret: S1 },
    });
    ring = parseAuditKeyring(`${k1}\n${k2}`, "ring");
    await repo.append({
      id: "e2",
      occurredAt: new Date(),
      actor: "a",
      action: "x",
      after: { secret: S2 },
    });
    const stored = await t.db.query<{ payload: string; key_id: string }>(
      "SELECT payload, key_id FROM audit_records ORDER BY seq",
    );
    expect(stored.rows.map((r) => r.key_id)).toEqual(["k1", "k2"]);
    expect(stored.rows.some((r) => r.payload.includes(S1) || r.payload.includes(S2))).toBe(false);
    expect((await repo.list({ limit: 10 })).map((r) => r.after)).toEqual([
      { secret: S2 },
      { secret: S1 },
    ]);
    expect(await createAuditRepository(t.db).verify()).toMatchObject({ intact: true });
    const wrong = parseAuditKeyring(`k1 ${randomBytes(32).toString("base64")}`, "wrong");
    const [, old] = await createAuditRepository(t.db, { keyring: () => wrong }).list({ limit: 10 });
    expect(old?.payloadError).toMatch(/key k1 does not open its payload/);
  });

  it("filters and pages newest first with a seq cursor", async () => {
    const repo = await writeFive();
    const first = await repo.list({ tenantId: "acme", limit: 2 });
    expect(first.map((r) => r.id)).toEqual(["a5", "a4"]);
    const next = await repo.list({ tenantId: "acme", limit: 2, beforeSeq: first[1]?.seq });
    expect(next.map((r) => r.id)).toEqual(["a3", "a2"]);
    expect(await repo.list({ tenantId: "other", limit: 2 })).toEqual([]);
    expect((await repo.list({ vmId: "vm-2", limit: 5 })).map((r) => r.id)).toEqual(["a2"]);
    expect((await repo.list({ actor: "tok-ops", limit: 1 })).map((r) => r.id)).toEqual(["a5"]);
  });
});
