// The audit trail's keys, read from files named by the environment: the encryption keyring
// (METALD_AUDIT_KEYRING) and the checkpoint signing key (METALD_AUDIT_CHECKPOINT_KEY, 32 bytes in
// base64, as `openssl rand -base64 32` writes it). Neither is ever stored in the database.
import { readFileSync } from "node:fs";
import { type AuditKeyring, parseAuditKeyring } from "@metald/core";

export class AuditKeyError extends Error {
  override name = "AuditKeyError";
}

export function loadAuditKeyring(path: string): AuditKeyring {
  try {
    return parseAuditKeyring(readFileSync(path, "utf8"), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code)
      throw new AuditKeyError(
        `${path}: cannot read the audit keyring (${(error as Error).message})`,
      );
    throw error;
  }
}

export function loadCheckpointKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new AuditKeyError(
      `${path}: cannot read the checkpoint key (${(error as Error).message})`,
    );
  }
  const key = Buffer.from(text, "base64");
  if (key.length < 32 || key.toString("base64") !== text)
    throw new AuditKeyError(`${path}: the checkpoint key must be at least 32 bytes in base64`);
  return key;
}
