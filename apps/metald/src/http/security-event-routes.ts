// Security events as the guides read them:
//   GET /api/v1/security/events?customer_id&vm_id&event_type&severity&category&since=1h&start&end&limit&cursor
//       → {events: [...], next_cursor}
// These are the guides' "violations": control-plane (audit) events are left out unless asked
// for by event_type or category (critical, security, performance, audit, all).
//   GET /api/v1/security/events/{id}
//   GET /debug/security/events   → the newest events as a plain JSON array
//   POST|GET /debug/security/report {start_time, end_time, customer_id, top} → counts, offenders

import { FieldError } from "@metald/core";
import type { SecurityEventRepository, StoredSecurityEvent } from "@metald/db";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { decodeListCursor, encodeListCursor } from "../events/event-cursors.js";
import { sendError, sendNotFound } from "./http-errors.js";
import { parseLimit, parseSeverity, parseSince, parseTime } from "./query-params.js";
import { jsonObjectBody } from "./request-body.js";

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

type Query = Record<string, string | undefined>;

const CATEGORIES = ["critical", "security", "performance", "audit", "all"];
const VIOLATIONS = ["critical", "security", "performance"];

/** A tenant's own events only, whatever customer_id it asks for. */
export function scopedCustomer(req: FastifyRequest, asked: string | undefined): string | undefined {
  return req.principal?.kind === "tenant" ? req.principal.tenantId : asked || undefined;
}

function parseFilter(q: Query) {
  let after: ReturnType<typeof decodeListCursor>;
  if (q.cursor !== undefined && q.cursor !== "") {
    after = decodeListCursor(q.cursor);
    if (!after) throw new FieldError("cursor", "is not a cursor this server issued");
  }
  const category = q.category || undefined;
  if (category !== undefined && !CATEGORIES.includes(category))
    throw new FieldError("category", `must be one of ${CATEGORIES.join(", ")}`);
  return {
    categories:
      category === "all" || (category === undefined && q.event_type)
        ? undefined
        : category
          ? [category]
          : VIOLATIONS,
    customerId: q.customer_id || undefined,
    vmId: q.vm_id || undefined,
    eventType: q.event_type || undefined,
    severity: parseSeverity(q.severity),
    start: parseSince(q.since, Date.now()) ?? parseTime(q.start, "start"),
    end: parseTime(q.end, "end"),
    after,
    limit: parseLimit(q.limit, 100, 1000),
  };
}

export function reportJson(
  start: Date,
  end: Date,
  r: Awaited<ReturnType<SecurityEventRepository["report"]>>,
) {
  const rename = (key: string) => (l: { key: string; count: number }[]) =>
    l.map((x) => ({ [key]: x.key, count: x.count }));
  return {
    start_time: start.toISOString(),
    end_time: end.toISOString(),
    total_events: r.totalEvents,
    total_packets: r.totalCount,
    by_event_type: rename("event_type")(r.byEventType),
    by_severity: rename("severity")(r.bySeverity),
    by_vm: rename("vm_id")(r.byVm),
    by_tenant: rename("tenant_id")(r.byCustomer),
    top_offenders: rename("source_ip")(r.topSourceIps),
  };
}

export function registerSecurityEventRoutes(
  app: FastifyInstance,
  events: SecurityEventRepository,
): void {
  app.get<{ Querystring: Query }>("/api/v1/security/events", async (req, reply) => {
    let filter: ReturnType<typeof parseFilter>;
    try {
      filter = parseFilter({
        ...req.query,
        customer_id: scopedCustomer(req, req.query.customer_id),
      });
    } catch (error) {
      return sendError(reply, error);
    }
    const page = await events.list(filter);
    const last = page[page.length - 1];
    const next = last ?? filter.after;
    return {
      events: page.map(eventJson),
      // Always present, as SIEM pollers expect; the same cursor again when nothing is new.
      next_cursor: next ? encodeListCursor(next) : "",
    };
  });

  app.get<{ Params: { id: string } }>("/api/v1/security/events/:id", async (req, reply) => {
    const event = await events.get(req.params.id);
    const scope = scopedCustomer(req, undefined);
    if (!event || (scope !== undefined && event.customerId !== scope))
      return sendNotFound(reply, `event ${JSON.stringify(req.params.id)}`);
    return eventJson(event);
  });

  // The troubleshooting guide groups this array with jq; the newest 10,000 at most (the REST
  // route above pages through everything).
  app.get<{ Querystring: Query }>("/debug/security/events", async (req, reply) => {
    try {
      const { after: _, limit: __, ...filter } = parseFilter({ ...req.query, limit: undefined });
      return (await events.listNewest({ ...filter, limit: 10_000 })).map(eventJson);
    } catch (error) {
      return sendError(reply, error);
    }
  });

  const report = async (input: Query, reply: FastifyReply) => {
    try {
      const end = parseTime(input.end_time, "end_time") ?? new Date();
      const start =
        parseTime(input.start_time, "start_time") ?? new Date(end.getTime() - 86_400_000);
      if (start > end) throw new FieldError("start_time", "is after end_time");
      const top = parseLimit(input.top, 10, 100);
      const counts = await events.report({
        start,
        end,
        customerId: input.customer_id || undefined,
        top,
      });
      return reportJson(start, end, counts);
    } catch (error) {
      return sendError(reply, error);
    }
  };
  app.get<{ Querystring: Query }>("/debug/security/report", (req, reply) =>
    report(req.query, reply),
  );
  app.post<{ Body: unknown }>("/debug/security/report", (req, reply) => {
    let body: Record<string, unknown>;
    try {
      body = jsonObjectBody(req.body);
    } catch (error) {
      return sendError(reply, error);
    }
    const text: Query = {};
    for (const [k, v] of Object.entries(body)) {
      if (typeof v === "string" || typeof v === "number") text[k] = String(v);
    }
    return report(text, reply);
  });
}
