// Security events as the guides read them:
//   GET /api/v1/security/events?customer_id&vm_id&event_type&severity&since=1h&start&end&limit&cursor
//       → {events: [...], next_cursor}
//   GET /api/v1/security/events/{id}
//   GET /debug/security/events   → the newest events as a plain JSON array
import type { SecurityEventRepository, StoredSecurityEvent } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { sendNotFound } from "./http-errors.js";

const DURATION = /^([0-9]{1,6})(s|m|h|d)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function eventJson(e: StoredSecurityEvent) {
  return {
    event_id: e.id,
    timestamp: e.timestamp.toISOString(),
    vm_id: e.vmId,
    customer_id: e.customerId,
    tenant_id: e.customerId,
    event_type: e.eventType,
    severity: e.severity,
    source_ip: e.sourceIp,
    description: e.description,
    details: e.details,
    count: e.count,
  };
}

class QueryError extends Error {}

function parseTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined || value === "") return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new QueryError(`${name}: ${JSON.stringify(value)} is not an ISO 8601 time`);
  return date;
}

type Query = Record<string, string | undefined>;

function parseFilter(q: Query) {
  let start = parseTime(q.start, "start");
  if (q.since !== undefined) {
    const m = DURATION.exec(q.since);
    if (!m)
      throw new QueryError(
        `since: ${JSON.stringify(q.since)} is not a duration such as 30m, 1h or 7d`,
      );
    start = new Date(Date.now() - Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  }
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new QueryError("limit: must be 1–1000");
  const afterSeq =
    q.cursor === undefined || q.cursor === ""
      ? 0
      : Number(Buffer.from(q.cursor, "base64url").toString());
  if (!Number.isInteger(afterSeq) || afterSeq < 0)
    throw new QueryError("cursor: is not a cursor this server issued");
  const severity = q.severity;
  if (severity !== undefined && !["info", "warning", "error", "critical"].includes(severity)) {
    throw new QueryError("severity: must be info, warning, error or critical");
  }
  return {
    customerId: q.customer_id,
    vmId: q.vm_id,
    eventType: q.event_type,
    severity,
    start,
    end: parseTime(q.end, "end"),
    afterSeq,
    limit,
  };
}

export function registerSecurityEventRoutes(
  app: FastifyInstance,
  events: SecurityEventRepository,
): void {
  app.get<{ Querystring: Query }>("/api/v1/security/events", async (req, reply) => {
    let filter: ReturnType<typeof parseFilter>;
    try {
      filter = parseFilter(req.query);
    } catch (error) {
      if (error instanceof QueryError)
        return reply.code(400).send({ code: "invalid_argument", message: error.message });
      throw error;
    }
    const page = await events.list(filter);
    const last = page[page.length - 1];
    const nextCursor = Buffer.from(String(last ? last.seq : filter.afterSeq)).toString("base64url");
    return { events: page.map(eventJson), next_cursor: nextCursor };
  });

  app.get<{ Params: { id: string } }>("/api/v1/security/events/:id", async (req, reply) => {
    const event = await events.get(req.params.id);
    if (!event) return sendNotFound(reply, `event ${JSON.stringify(req.params.id)}`);
    return eventJson(event);
  });

  app.get("/debug/security/events", async () => {
    const all: StoredSecurityEvent[] = [];
    let afterSeq = 0;
    // Newest 10,000 at most; the REST route pages through everything.
    for (;;) {
      const page = await events.list({ afterSeq, limit: 1000 });
      if (page.length === 0) break;
      all.push(...page);
      afterSeq = page[page.length - 1]?.seq ?? afterSeq;
      if (all.length > 10_000) all.splice(0, all.length - 10_000);
    }
    return all.map(eventJson);
  });
}
