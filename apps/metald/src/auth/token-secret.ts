// Bearer token text: "mtd_<id>_<secret>". The id finds the stored token; only a SHA-256 of the
// 256-bit secret is stored (a slow hash buys nothing for random secrets), compared in constant
// time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const TOKEN = /^mtd_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function newTokenSecret(): { id: string; secret: string; token: string; hash: string } {
  const id = randomBytes(9)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")
    .slice(0, 12);
  const secret = randomBytes(32).toString("base64url");
  return { id, secret, token: `mtd_${id}_${secret}`, hash: hashSecret(secret) };
}

export function parseToken(text: string): { id: string; secret: string } | undefined {
  const m = TOKEN.exec(text);
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
