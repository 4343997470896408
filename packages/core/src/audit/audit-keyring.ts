// The audit trail's encryption keys: a keyring text file, one `<key-id> <base64 of 32 bytes>`
// per line ('#' starts a comment). The last key encrypts new records; every key listed stays
// readable, so rotating is appending a line (old records keep their key id).
export interface AuditKeyring {
  /** The key new records are encrypted with. */
  current: { id: string; key: Buffer };
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class AuditKeyringError extends Error {
  override name = "AuditKeyringError";
}

/** Parses a keyring file's text; `source` names it in errors (with the line number). */
export function parseAuditKeyring(text: string, source: string): AuditKeyring {
  const keys = new Map<string, Buffer>();
  let current: AuditKeyring["current"] | undefined;
  text.split("\n").forEach((raw, index) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const where = `${source}:${index + 1}`;
    const [id, encoded, extra] = line.split(/\s+/);
    if (!id || !encoded || extra !== undefined)
      throw new AuditKeyringError(`${where}: expected "<key-id> <base64 key>"`);
    if (!KEY_ID.test(id))
      throw new AuditKeyringError(`${where}: key id must be 1-64 letters, digits, '.', '_' or '-'`);
    const key = Buffer.from(encoded, "base64");
    if (key.length !== 32 || key.toString("base64") !== encoded)
      throw new AuditKeyringError(`${where}: key ${id} must be 32 bytes in base64 (AES-256)`);
    if (keys.has(id)) throw new AuditKeyringError(`${where}: key id ${id} appears twice`);
    keys.set(id, key);
    current = { id, key };
  });
  if (!current) throw new AuditKeyringError(`${source}: no key`);
  return { current, keys };
}
