import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuditDecryptError, openAuditPayload, sealAuditPayload } from "./audit-envelope.js";
import { AuditKeyringError, parseAuditKeyring } from "./audit-keyring.js";

const k1 = randomBytes(32).toString("base64");
const k2 = randomBytes(32).toString("base64");

describe("audit payload envelope", () => {
  it("opens with the right key what it sealed, and the ciphertext hides the plaintext", () => {
    const ring = parseAuditKeyring(`# first key\nk1 ${k1}\n`, "keyring");
    const sealed = sealAuditPayload(ring, "audit-1", '{"after":{"profile":"HIGH"}}');
    expect(sealed.keyId).toBe("k1");
    expect(Buffer.from(sealed.payload, "base64").toString("utf8")).not.toContain("HIGH");
    expect(openAuditPayload(ring, "audit-1", sealed.keyId, sealed.payload)).toBe(
      '{"after":{"profile":"HIGH"}}',
    );
  });

  it("fails clearly with the wrong key material, an unknown key id or another record's id", () => {
    const ring = parseAuditKeyring(`k1 ${k1}`, "keyring");
    const sealed = sealAuditPayload(ring, "audit-1", "{}");
    const wrong = parseAuditKeyring(`k1 ${k2}`, "other");
    expect(() => openAuditPayload(wrong, "audit-1", "k1", sealed.payload)).toThrow(
      /key k1 does not open its payload/,
    );
    expect(() => openAuditPayload(ring, "audit-1", "k9", sealed.payload)).toThrow(
      AuditDecryptError,
    );
    expect(() => openAuditPayload(ring, "audit-2", "k1", sealed.payload)).toThrow(/does not open/);
  });

  it("keeps records of a rotated key readable while new ones use the new key", () => {
    const before = parseAuditKeyring(`k1 ${k1}`, "keyring");
    const old = sealAuditPayload(before, "audit-1", '"old"');
    const after = parseAuditKeyring(`k1 ${k1}\nk2 ${k2}\n`, "keyring");
    const fresh = sealAuditPayload(after, "audit-2", '"new"');
    expect(fresh.keyId).toBe("k2");
    expect(openAuditPayload(after, "audit-1", old.keyId, old.payload)).toBe('"old"');
    expect(openAuditPayload(after, "audit-2", fresh.keyId, fresh.payload)).toBe('"new"');
  });

  it("refuses a keyring line that is not a 32-byte key, naming the line", () => {
    expect(() => parseAuditKeyring(`k1 ${k1}\nk2 c2hvcnQ=`, "/etc/k")).toThrow(
      new AuditKeyringError("/etc/k:2: key k2 must be 32 bytes in base64 (AES-256)"),
    );
    expect(() => parseAuditKeyring("# nothing\n", "/etc/k")).toThrow(/no key/);
  });
});
