// Who is calling: an operator (everything), a tenant (its own VMs, events and reports) or an
// auditor (events, reports and compliance, read only); resolved from the Authorization header.
import { isIdentifier } from "@metald/core";
import type { TokenRepository } from "@metald/db";
import { parseToken, secretMatches } from "./token-secret.js";

/** tokenId: the stored API token used (none for the development convention). */
export type Principal =
  | { kind: "operator"; name: string; tokenId?: string }
  | { kind: "tenant"; tenantId: string; name: string; tokenId?: string }
  | { kind: "auditor"; name: string; tokenId?: string };

/**
 * required: every request needs a token. development: the guides' convention — no header is
 * an operator and `Bearer dev_customer_<id>` is tenant <id>; never with METALD_ENV=production.
 */
export type AuthMode = "required" | "development";

export class AuthError extends Error {
  override name = "AuthError";
}

const DEV_TENANT = /^dev_customer_(.+)$/;

export async function authenticate(
  header: string | undefined,
  mode: AuthMode,
  tokens: TokenRepository,
): Promise<Principal> {
  if (header === undefined || header === "") {
    if (mode === "development") return { kind: "operator", name: "development" };
    throw new AuthError("missing bearer token (Authorization: Bearer <token>)");
  }
  const m = /^Bearer ([!-~]{1,200})$/.exec(header);
  if (!m) throw new AuthError("malformed Authorization header; expected: Bearer <token>");
  const text = m[1] as string;
  if (mode === "development") {
    const dev = DEV_TENANT.exec(text);
    if (dev && isIdentifier(dev[1] as string))
      return { kind: "tenant", tenantId: dev[1] as string, name: text };
  }
  const parsed = parseToken(text);
  const stored = parsed && (await tokens.get(parsed.id));
  // The same answer for an unknown id, a wrong secret and a revoked token.
  if (!parsed || !stored || !secretMatches(parsed.secret, stored.secretHash) || stored.revokedAt)
    throw new AuthError("invalid or revoked token");
  if (stored.role === "tenant")
    return {
      kind: "tenant",
      tenantId: stored.tenantId as string,
      name: stored.name,
      tokenId: stored.id,
    };
  return { kind: stored.role, name: stored.name, tokenId: stored.id };
}
