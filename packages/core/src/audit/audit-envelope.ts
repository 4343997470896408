// AES-256-GCM envelope of an audit record's before/after payload. The record id is the
// additional authenticated data, so a ciphertext moved onto another record fails to decrypt.
// Stored text: base64 of iv (12 bytes) || ciphertext || tag (16 bytes); the key id is a column.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { AuditKeyring } from "./audit-keyring.js";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AuditDecryptError extends Error {
  override name = "AuditDecryptError";
}

export function sealAuditPayload(
  keyring: AuditKeyring,
  recordId: string,
  plaintext: string,
): { keyId: string; payload: string } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyring.current.key, iv);
  cipher.setAAD(Buffer.from(recordId, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return {
    keyId: keyring.current.id,
    payload: Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64"),
  };
}

export function openAuditPayload(
  keyring: AuditKeyring,
  recordId: string,
  keyId: string,
  payload: string,
): string {
  const key = keyring.keys.get(keyId);
  if (!key)
    throw new AuditDecryptError(
      `audit record ${recordId}: encrypted with key ${keyId}, which the keyring does not hold`,
    );
  const raw = Buffer.from(payload, "base64");
  if (raw.length < IV_BYTES + TAG_BYTES)
    throw new AuditDecryptError(`audit record ${recordId}: payload is too short to be sealed`);
  const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(recordId, "utf8"));
  decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString("utf8");
  } catch {
    throw new AuditDecryptError(
      `audit record ${recordId}: key ${keyId} does not open its payload (wrong key material for this id, or the payload was altered)`,
    );
  }
}
