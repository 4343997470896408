// Signed checkpoints of the audit chain: HMAC-SHA256 over (seq, hash) with a key that lives in
// a file, not in the database. Whoever can write the database can recompute a keyless SHA-256
// chain; without the key they cannot make a checkpoint that matches their rewrite.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface AuditCheckpoint {
  seq: number;
  hash: string;
  keyId: string;
  signature: string;
}

/** A key's public name: the first 16 hex digits of its SHA-256 (never the key itself). */
export function checkpointKeyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

function mac(key: Buffer, seq: number, hash: string): Buffer {
  return createHmac("sha256", key).update(`metald-audit-checkpoint:v1:${seq}:${hash}`).digest();
}

export function signCheckpoint(key: Buffer, seq: number, hash: string): AuditCheckpoint {
  return { seq, hash, keyId: checkpointKeyId(key), signature: mac(key, seq, hash).toString("hex") };
}

export function checkpointSignatureValid(key: Buffer, c: AuditCheckpoint): boolean {
  const expected = mac(key, c.seq, c.hash);
  const given = Buffer.from(c.signature, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
