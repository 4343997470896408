// vmprovisioner.v1.SecurityEventService: the event log (list, get), a report over a time range,
// and the live stream the console follows.
import { create, type JsonObject } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { SecurityEventRepository, StoredSecurityEvent } from "@metald/db";
import {
  EventSeverity,
  type SecurityEvent,
  SecurityEventSchema,
  type SecurityEventService,
} from "@metald/proto";
import { PRINCIPAL } from "../auth/principal-context.js";
import { decodeListCursor, encodeListCursor } from "../events/event-cursors.js";
import type { EventPipeline } from "../events/event-pipeline.js";

const SEVERITY_NAMES = ["info", "warning", "error", "critical"] as const;
const SEVERITY_RANK: Record<string, number> = { info: 1, warning: 2, error: 3, critical: 4 };
/** How many stored events a slow stream reader may fall behind before it is cut off. */
const STREAM_BUFFER = 10_000;

function severityName(s: EventSeverity): string | undefined {
  return s === EventSeverity.UNSPECIFIED ? undefined : SEVERITY_NAMES[s - 1];
}

export function toProtoEvent(e: StoredSecurityEvent): SecurityEvent {
  return create(SecurityEventSchema, {
    eventId: e.id,
    timestamp: timestampFromDate(e.timestamp),
    vmId: e.vmId ?? "",
    customerId: e.customerId ?? "",
    eventType: e.eventType,
    severity: (SEVERITY_RANK[e.severity] ?? 0) as EventSeverity,
    sourceIp: e.sourceIp ?? "",
    description: e.description,
    details: e.details as JsonObject,
    count: BigInt(e.count),
  });
}

const dateOf = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined);

/** A tenant sees its own events only, whatever customer_id it asks for. */
function customerOf(ctx: HandlerContext, asked: string): string | undefined {
  const p = ctx.values.get(PRINCIPAL);
  return p?.kind === "tenant" ? p.tenantId : asked || undefined;
}

export function createSecurityEventServiceImpl(deps: {
  events: SecurityEventRepository;
  pipeline: EventPipeline;
}): ServiceImpl<typeof SecurityEventService> {
  const { events, pipeline } = deps;
  return {
    async listSecurityEvents(req, ctx) {
      let after: ReturnType<typeof decodeListCursor>;
      if (req.pageToken !== "") {
        after = decodeListCursor(req.pageToken);
        if (!after)
          throw new ConnectError(
            "page_token: is not a token this server issued",
            Code.InvalidArgument,
          );
      }
      if (req.pageSize > 1000)
        throw new ConnectError("page_size: must be at most 1000", Code.InvalidArgument);
      const page = await events.list({
        customerId: customerOf(ctx, req.customerId),
        vmId: req.vmId || undefined,
        eventType: req.eventType || undefined,
        severity: severityName(req.severity),
        start: dateOf(req.start),
        end: dateOf(req.end),
        after,
        limit: req.pageSize || 100,
      });
      const last = page[page.length - 1];
      return {
        events: page.map(toProtoEvent),
        nextPageToken: last ? encodeListCursor(last) : "",
      };
    },

    async getSecurityEvent(req, ctx) {
      if (req.eventId === "") throw new ConnectError("event_id: is required", Code.InvalidArgument);
      const event = await events.get(req.eventId);
      const scope = customerOf(ctx, "");
      if (!event || (scope !== undefined && event.customerId !== scope))
        throw new ConnectError(`event ${JSON.stringify(req.eventId)} not found`, Code.NotFound);
      return { event: toProtoEvent(event) };
    },

    async getSecurityReport(req, ctx) {
      const end = dateOf(req.endTime) ?? new Date();
      const start = dateOf(req.startTime) ?? new Date(end.getTime() - 86_400_000);
      if (start > end)
        throw new ConnectError("start_time: is after end_time", Code.InvalidArgument);
      const r = await events.report({
        start,
        end,
        customerId: customerOf(ctx, req.customerId),
        top: Math.min(req.topOffenders || 10, 100),
      });
      const counts = (l: { key: string; count: number }[]) =>
        l.map((x) => ({ key: x.key, count: BigInt(x.count) }));
      return {
        startTime: timestampFromDate(start),
        endTime: timestampFromDate(end),
        totalEvents: BigInt(r.totalEvents),
        byEventType: counts(r.byEventType),
        byVm: counts(r.byVm),
        byCustomer: counts(r.byCustomer),
        bySeverity: counts(r.bySeverity),
        topSourceIps: counts(r.topSourceIps),
      };
    },

    async *streamSecurityEvents(req, context) {
      const minRank = req.minSeverity === EventSeverity.UNSPECIFIED ? 0 : req.minSeverity;
      const queue: StoredSecurityEvent[] = [];
      let wake: (() => void) | undefined;
      let overflowed = false;
      const customer = customerOf(context, req.customerId);
      const unsubscribe = pipeline.onStored((stored) => {
        for (const e of stored) {
          if (customer !== undefined && e.customerId !== customer) continue;
          if (req.vmId && e.vmId !== req.vmId) continue;
          if ((SEVERITY_RANK[e.severity] ?? 0) < minRank) continue;
          queue.push(e);
        }
        if (queue.length > STREAM_BUFFER) overflowed = true;
        wake?.();
      });
      const aborted = new Promise<void>((resolve) =>
        context.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      try {
        while (!context.signal.aborted) {
          if (overflowed)
            throw new ConnectError(
              "the stream fell too far behind; resume from the event log",
              Code.ResourceExhausted,
            );
          const next = queue.shift();
          if (next) {
            yield { event: toProtoEvent(next) };
            continue;
          }
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
          wake = undefined;
        }
      } finally {
        unsubscribe();
      }
    },
  };
}
