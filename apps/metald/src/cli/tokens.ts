// `metald token create|list|revoke`: API tokens are made and withdrawn on the host, against
// the same database the server uses. The secret is shown once, at creation.

import { randomUUID } from "node:crypto";
import { userInfo } from "node:os";
import { isIdentifier } from "@metald/core";
import type { AuditRepository, NewAuditRecord, TokenRepository, TokenRole } from "@metald/db";

import { newTokenSecret } from "../auth/token-secret.js";

const ROLES: readonly TokenRole[] = ["operator", "tenant", "auditor"];

export async function runTokenCommand(
  tokens: TokenRepository,
  args: string[],
  flags: { role?: string; tenant?: string; name?: string },
  audit?: AuditRepository,
): Promise<{ text: string; exitCode: number }> {
  const [verb, id] = args;
  // Made on the host, not through the API: the actor is the host account that ran the command.
  const record = (action: string, r: Partial<NewAuditRecord>) =>
    audit?.append({
      id: `audit-${randomUUID()}`,
      occurredAt: new Date(),
      actor: `host:${userInfo().username}`,
      role: "host",
      action,
      ...r,
    });
  if (verb === "create") {
    const role = (flags.role ?? "") as TokenRole;
    if (!ROLES.includes(role))
      return { text: `--role: must be one of ${ROLES.join(", ")}`, exitCode: 2 };
    if ((role === "tenant") !== (flags.tenant !== undefined))
      return { text: "--tenant: required for (and only for) --role tenant", exitCode: 2 };
    if (flags.tenant !== undefined && !isIdentifier(flags.tenant))
      return { text: "--tenant: 1–63 letters, digits, '.', '_' or '-'", exitCode: 2 };
    const t = newTokenSecret();
    await tokens.create({
      id: t.id,
      name: flags.name ?? "",
      role,
      tenantId: flags.tenant ?? null,
      secretHash: t.hash,
    });
    const made = { token_id: t.id, role, tenant_id: flags.tenant ?? null, name: flags.name ?? "" };
    await record("token.create", { tenantId: flags.tenant ?? null, details: made, after: made });
    return { text: t.token, exitCode: 0 };
  }
  if (verb === "list") {
    const lines = (await tokens.list()).map(
      (t) =>
        `${t.id}\t${t.role}${t.tenantId ? `:${t.tenantId}` : ""}\t${t.name || "-"}\tcreated ${t.createdAt.toISOString()}${t.revokedAt ? `\trevoked ${t.revokedAt.toISOString()}` : ""}`,
    );
    return { text: lines.join("\n") || "no tokens", exitCode: 0 };
  }
  if (verb === "revoke" && id) {
    const at = new Date();
    if (!(await tokens.revoke(id, at))) return { text: `no live token ${id}`, exitCode: 1 };
    await record("token.revoke", {
      details: { token_id: id },
      before: { token_id: id, revoked_at: null },
      after: { token_id: id, revoked_at: at.toISOString() },
    });
    return { text: `token ${id} revoked`, exitCode: 0 };
  }
  return {
    text: "usage: metald token create --role operator|tenant|auditor [--tenant ID] [--name NAME]\n       metald token list\n       metald token revoke ID",
    exitCode: 2,
  };
}
