import { describe, expect, it } from "vitest";
import { signCheckpoint } from "./audit-checkpoint.js";
import {
  type AuditRecordContent,
  type ChainedAuditRecord,
  chainAuditRecord,
  GENESIS_HASH,
} from "./audit-record-hash.js";
import { canonicalJson } from "./canonical-json.js";
import { createAuditChainVerifier } from "./verify-audit-chain.js";

const KEY = Buffer.alloc(32, 7);

function content(seq: number): AuditRecordContent {
  return {
    seq,
    id: `audit-${seq}`,
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)),
    actor: "operator:ops",
    tokenId: "tok1",
    role: "operator",
    actorTenantId: null,
    action: "vm.update",
    tenantId: "acme",
    vmId: `vm-${seq}`,
    clientAddress: "2001:db8::1",
    userAgent: "curl/8",
    details: { reason: "test", n: seq },
    payload: canonicalJson({ before: { a: 1 }, after: { a: seq } }),
    keyId: null,
  };
}

function chain(n: number): ChainedAuditRecord[] {
  const out: ChainedAuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const r = chainAuditRecord(prev, content(seq));
    out.push(r);
    prev = r.hash;
  }
  return out;
}

function verify(records: ChainedAuditRecord[], head: { seq: number; hash: string }, key = KEY) {
  const checkpoints = new Map([[2, signCheckpoint(KEY, 2, chain(5)[1]?.hash as string)]]);
  const v = createAuditChainVerifier({
    anchor: { seq: 0, hash: GENESIS_HASH },
    checkpoints,
    checkpointKey: key,
  });
  for (const r of records) if (!v.next(r)) break;
  return v.finish(head);
}

const records = chain(5);
const head = { seq: 5, hash: records[4]?.hash as string };

describe("canonicalJson", () => {
  it("sorts keys at every depth and leaves out undefined members", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: "x" }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":"x","z":null}]},"b":1}',
    );
  });
});

describe("verify walk", () => {
  it("finds an intact chain intact, with its checkpoint's signature checked", () => {
    expect(verify(records, head)).toEqual({
      intact: true,
      recordsChecked: 5,
      checkpointsChecked: 1,
      checkpointsUnverified: 0,
    });
  });

  it("names a modified record", () => {
    const tampered = records.map((r) => (r.seq === 3 ? { ...r, actor: "someone else" } : r));
    expect(verify(tampered, head).firstBroken).toMatchObject({ seq: 3, id: "audit-3" });
    expect(verify(tampered, head).firstBroken?.problem).toMatch(/modified/);
  });

  it("names the record after a deleted one", () => {
    const result = verify(
      records.filter((r) => r.seq !== 3),
      head,
    );
    expect(result.intact).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq: 4, id: "audit-4" });
    expect(result.firstBroken?.problem).toMatch(/seq 3 missing.*deleted/);
  });

  it("catches a record inserted with a chain recomputed after it", () => {
    // The intruder renumbers what follows and re-links it: the signed checkpoint at seq 2 still
    // holds, but the head no longer matches and the recomputed record 3 breaks the link.
    const forged = chainAuditRecord(records[1]?.hash as string, {
      ...content(3),
      id: "forged",
    });
    const shifted = [
      ...records.slice(0, 2),
      forged,
      ...records.slice(2).map((r) => ({ ...r, seq: r.seq + 1 })),
    ];
    const result = verify(shifted, head);
    expect(result.firstBroken).toMatchObject({ seq: 4, id: "audit-3" });
  });

  it("catches two records swapped", () => {
    const a = records[1] as ChainedAuditRecord;
    const b = records[2] as ChainedAuditRecord;
    const swapped = [records[0], { ...b, seq: 2 }, { ...a, seq: 3 }, records[3], records[4]];
    expect(verify(swapped as ChainedAuditRecord[], head).firstBroken).toMatchObject({
      seq: 2,
      id: "audit-3",
    });
  });

  it("catches a chain rewritten before a signed checkpoint", () => {
    let prev = GENESIS_HASH;
    const rewritten = records.map((r) => {
      const next = chainAuditRecord(prev, r.seq === 1 ? { ...r, actor: "x" } : r);
      prev = next.hash;
      return next;
    });
    const result = verify(rewritten, { seq: 5, hash: prev });
    expect(result.firstBroken).toMatchObject({ seq: 2 });
    expect(result.firstBroken?.problem).toMatch(/checkpoint at seq 2/);
  });

  it("refuses a checkpoint signed with another key", () => {
    const result = verify(records, head, Buffer.alloc(32, 8));
    expect(result.firstBroken?.problem).toMatch(/bad signature/);
  });

  it("catches records deleted at the end through the head", () => {
    expect(verify(records.slice(0, 4), head).firstBroken?.problem).toMatch(/records at the end/);
  });

  it("verifies a purged chain from the checkpoint that anchors it", () => {
    const anchor = signCheckpoint(KEY, 2, records[1]?.hash as string);
    const v = createAuditChainVerifier({
      anchor: { seq: 2, hash: anchor.hash, checkpoint: anchor },
      checkpoints: new Map(),
      checkpointKey: KEY,
    });
    for (const r of records.slice(2)) v.next(r);
    expect(v.finish(head)).toMatchObject({
      intact: true,
      recordsChecked: 3,
      checkpointsChecked: 1,
    });
  });
});
