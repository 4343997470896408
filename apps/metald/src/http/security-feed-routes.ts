// The pull feed a SIEM polls (as Elastic's httpjson input, Sentinel's codeless connector or
// Sumo Logic's universal connector do):
//   GET /api/v1/security/feed?cursor&since&until&limit&format=json|cef|leef&customer_id
// JSON pages {events, next_cursor} (next_cursor always present, also in Link: rel="next"), or
// NDJSON with Accept: application/x-ndjson. Resuming from the last cursor yields every event
// exactly once and in order: positions are seqs, which commit in order (see the repository).
// 410 when retention deleted events past the cursor; 429 with Retry-After when busy.
import { FieldError, type SiemContext, type SiemFormat, toEcsDocument } from "@metald/core";
import type { SecurityEventRepository, StoredSecurityEvent } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { decodeFeedCursor, encodeFeedCursor, type FeedPosition } from "../events/event-cursors.js";
import { asSecurityEvent, renderEvent } from "../events/siem-batch.js";
import { sendError } from "./http-errors.js";
import { parseLimit, parseSince, parseTime } from "./query-params.js";
import { scopedCustomer } from "./security-event-routes.js";

export interface SecurityFeedOptions {
  events: SecurityEventRepository;
  context: SiemContext;
  /** Feed requests served at once; more are answered 429. */
  maxConcurrent: number;
}

type Query = Record<string, string | undefined>;
const FORMATS: readonly SiemFormat[] = ["json", "cef", "leef"];

export function registerSecurityFeedRoutes(app: FastifyInstance, o: SecurityFeedOptions): void {
  let inFlight = 0;

  async function startPosition(q: Query): Promise<FeedPosition> {
    if (q.cursor !== undefined && q.cursor !== "") {
      const position = decodeFeedCursor(q.cursor);
      if (!position) throw new FieldError("cursor", "is not a cursor this server issued");
      return position;
    }
    // since/until only seed the first request; from then on the cursor carries the position.
    const since = parseSince(q.since, Date.now());
    const until = parseTime(q.until, "until");
    const afterSeq = since ? await o.events.seqBefore(since) : await o.events.purgedThroughSeq();
    return until ? { afterSeq, throughSeq: await o.events.lastSeqAt(until) } : { afterSeq };
  }

  const render = (e: StoredSecurityEvent, format: SiemFormat) =>
    format === "json"
      ? toEcsDocument(asSecurityEvent(e), o.context)
      : renderEvent(e, format, o.context);

  app.get<{ Querystring: Query }>("/api/v1/security/feed", async (req, reply) => {
    if (inFlight >= o.maxConcurrent) {
      return reply
        .code(429)
        .header("retry-after", "1")
        .send({ code: "resource_exhausted", message: "too many feed requests; retry after 1 s" });
    }
    inFlight++;
    try {
      const q: Query = { ...req.query, customer_id: scopedCustomer(req, req.query.customer_id) };
      const format = (q.format ?? "json") as SiemFormat;
      if (!FORMATS.includes(format)) throw new FieldError("format", "must be json, cef or leef");
      const limit = parseLimit(q.limit, 500, 5_000);
      const position = await startPosition(q);
      const resumed = q.cursor !== undefined && q.cursor !== "";
      if (resumed && position.afterSeq < (await o.events.purgedThroughSeq())) {
        return reply.code(410).send({
          code: "cursor_expired",
          message:
            "events after this cursor were deleted by retention; start again with since= or without a cursor",
        });
      }
      const page = (
        await o.events.readFeed(position.afterSeq, limit, q.customer_id || undefined)
      ).filter((e) => position.throughSeq === undefined || e.seq <= position.throughSeq);
      const last = page[page.length - 1];
      const next = encodeFeedCursor({ ...position, afterSeq: last ? last.seq : position.afterSeq });
      const params = new URLSearchParams({ cursor: next, limit: String(limit), format });
      if (q.customer_id) params.set("customer_id", q.customer_id);
      reply.header("link", `</api/v1/security/feed?${params}>; rel="next"`);
      reply.header("x-next-cursor", next);
      const rendered = page.map((e) => render(e, format));
      if ((req.headers.accept ?? "").includes("application/x-ndjson")) {
        reply.type("application/x-ndjson");
        return rendered.map((r) => `${JSON.stringify(r)}\n`).join("");
      }
      return { events: rendered, next_cursor: next };
    } catch (error) {
      return sendError(reply, error);
    } finally {
      inFlight--;
    }
  });
}
