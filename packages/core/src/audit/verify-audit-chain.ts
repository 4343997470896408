// The verify walk over an audit chain read in seq order: each record must follow the one
// before it (consecutive seq, prev_hash equal to its hash), its content must hash to its hash,
// each checkpoint must name a record's hash and carry a valid signature, and the chain must end
// at the head the writers recorded. The first problem found is the answer.
import { type AuditCheckpoint, checkpointSignatureValid } from "./audit-checkpoint.js";
import { auditRecordHash, type ChainedAuditRecord } from "./audit-record-hash.js";

export interface AuditChainProblem {
  /** The first record that fails (or the position where one is missing). */
  seq: number;
  id: string;
  problem: string;
}

export interface AuditChainVerdict {
  intact: boolean;
  recordsChecked: number;
  checkpointsChecked: number;
  /** Checkpoints whose signature could not be checked (no key given). */
  checkpointsUnverified: number;
  firstBroken?: AuditChainProblem;
}

export interface AuditChainVerifierOptions {
  /** Where the stored chain starts: after this seq and hash (a checkpoint or the genesis). */
  anchor: { seq: number; hash: string; checkpoint?: AuditCheckpoint };
  /** Checkpoints after the anchor, by seq. */
  checkpoints: ReadonlyMap<number, AuditCheckpoint>;
  /** The HMAC key checkpoints are signed with; without it signatures are not checked. */
  checkpointKey?: Buffer;
}

export interface AuditChainVerifier {
  /** Checks the next record; false once the chain is broken (stop reading). */
  next(record: ChainedAuditRecord): boolean;
  /** Checks that the chain ends where the writers say it does, and gives the verdict. */
  finish(head: { seq: number; hash: string }): AuditChainVerdict;
}

export function createAuditChainVerifier(o: AuditChainVerifierOptions): AuditChainVerifier {
  let prev = { seq: o.anchor.seq, hash: o.anchor.hash, id: "" };
  let recordsChecked = 0;
  let checkpointsChecked = 0;
  let checkpointsUnverified = 0;
  let broken: AuditChainProblem | undefined;

  const checkSignature = (c: AuditCheckpoint, at: { seq: number; id: string }): boolean => {
    if (!o.checkpointKey) {
      checkpointsUnverified++;
      return true;
    }
    checkpointsChecked++;
    if (checkpointSignatureValid(o.checkpointKey, c)) return true;
    broken = {
      ...at,
      problem: `checkpoint at seq ${c.seq} has a bad signature (key ${c.keyId}): the checkpoint was forged or altered, or the key is not the one it was signed with`,
    };
    return false;
  };
  if (o.anchor.checkpoint) {
    const c = o.anchor.checkpoint;
    if (c.seq !== o.anchor.seq || c.hash !== o.anchor.hash)
      broken = {
        seq: o.anchor.seq,
        id: "",
        problem: "the anchoring checkpoint does not match the purged range",
      };
    else checkSignature(c, { seq: c.seq, id: "" });
  }

  const fail = (r: ChainedAuditRecord, problem: string) => {
    broken = { seq: r.seq, id: r.id, problem };
    return false;
  };

  return {
    next(r) {
      if (broken) return false;
      const expected = prev.seq + 1;
      if (r.seq !== expected)
        return fail(
          r,
          r.seq > expected
            ? `seq ${expected}${r.seq - 1 > expected ? `-${r.seq - 1}` : ""} missing before it: a record was deleted`
            : `seq ${r.seq} follows seq ${prev.seq}: records are out of order`,
        );
      if (r.prevHash !== prev.hash)
        return fail(
          r,
          `prev_hash ${r.prevHash.slice(0, 12)}… does not match the hash of ${prev.id ? `record ${prev.id} (seq ${prev.seq})` : `the chain's anchor (seq ${prev.seq})`} ${prev.hash.slice(0, 12)}…: a record before it was modified, inserted, deleted or moved`,
        );
      if (auditRecordHash(r.prevHash, r) !== r.hash)
        return fail(r, "its content does not match its hash: the record was modified or moved");
      recordsChecked++;
      const checkpoint = o.checkpoints.get(r.seq);
      if (checkpoint) {
        if (checkpoint.hash !== r.hash)
          return fail(
            r,
            `checkpoint at seq ${r.seq} names hash ${checkpoint.hash.slice(0, 12)}…, not the record's: the chain was rewritten from here or earlier`,
          );
        if (!checkSignature(checkpoint, r)) return false;
      }
      prev = { seq: r.seq, hash: r.hash, id: r.id };
      return true;
    },

    finish(head) {
      if (!broken) {
        const beyond = [...o.checkpoints.keys()].filter((s) => s > prev.seq);
        if (head.seq > prev.seq || beyond.length > 0)
          broken = {
            seq: prev.seq + 1,
            id: "",
            problem: `the chain ends at seq ${prev.seq} but its head is at seq ${Math.max(head.seq, ...beyond)}: records at the end were deleted`,
          };
        else if (head.seq < prev.seq)
          broken = {
            seq: head.seq + 1,
            id: "",
            problem: `records after the chain head (seq ${head.seq}) were added outside the writer`,
          };
        else if (head.hash !== prev.hash)
          broken = {
            seq: prev.seq,
            id: prev.id,
            problem: "the last record's hash differs from the chain head: the record was replaced",
          };
      }
      return {
        intact: broken === undefined,
        recordsChecked,
        checkpointsChecked,
        checkpointsUnverified,
        ...(broken && { firstBroken: broken }),
      };
    },
  };
}
