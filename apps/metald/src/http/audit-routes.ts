// The audit trail over REST, for operators and auditors (tenant tokens are refused by the access
// rules: the trail spans every tenant):
//   GET /api/v1/audit?since=&until=&actor=&token_id=&customer_id=&vm_id=&action=&limit=&cursor=
//       → {records, next_cursor}: newest first; next_cursor pages on (keyset on the chain's seq).
import { FieldError } from "@metald/core";
import type { AuditRecordView, AuditRepository } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { sendError } from "./http-errors.js";
import { parseLimit, parseSince, parseTime } from "./query-params.js";

type Query = Record<string, string | undefined>;

const CURSOR = /^s([1-9][0-9]{0,17})$/;

function parseCursor(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const m = CURSOR.exec(value);
  if (!m) throw new FieldError("cursor", "is not a cursor this endpoint returned");
  return Number(m[1]);
}

function text(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (value.length > 256) throw new FieldError(name, "must be at most 256 characters");
  return value;
}

export function auditRecordJson(r: AuditRecordView) {
  return {
    seq: r.seq,
    id: r.id,
    occurred_at: r.occurredAt.toISOString(),
    actor: r.actor,
    token_id: r.tokenId,
    role: r.role,
    actor_tenant_id: r.actorTenantId,
    action: r.action,
    customer_id: r.tenantId,
    vm_id: r.vmId,
    client_address: r.clientAddress,
    user_agent: r.userAgent,
    details: r.details,
    before: r.before ?? null,
    after: r.after ?? null,
    ...(r.keyId && { key_id: r.keyId }),
    ...(r.payloadError && { payload_error: r.payloadError }),
    hash: r.hash,
  };
}

export function registerAuditRoutes(app: FastifyInstance, audit: AuditRepository): void {
  app.get<{ Querystring: Query }>("/api/v1/audit", async (req, reply) => {
    try {
      const q = req.query;
      const limit = parseLimit(q.limit, 100, 1000);
      const records = await audit.list({
        since: parseSince(q.since, Date.now()),
        until: parseTime(q.until, "until"),
        actor: text(q.actor, "actor"),
        tokenId: text(q.token_id, "token_id"),
        tenantId: text(q.customer_id ?? q.tenant_id, q.customer_id ? "customer_id" : "tenant_id"),
        vmId: text(q.vm_id, "vm_id"),
        action: text(q.action, "action"),
        beforeSeq: parseCursor(q.cursor),
        limit,
      });
      const last = records.at(-1);
      return {
        records: records.map(auditRecordJson),
        next_cursor: records.length === limit && last ? `s${last.seq}` : null,
      };
    } catch (error) {
      return sendError(reply, error);
    }
  });
}
