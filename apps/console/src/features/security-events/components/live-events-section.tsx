// Events as they are stored, over StreamSecurityEvents: the newest first, filtered like the rest
// of the page (the stream filters by tenant, VM and severity; type and exact severity here).
import { EventSeverity, type SecurityEvent } from "@metald/proto";
import { Button } from "../../../shared/ui/button";
import { EmptyState, ErrorState } from "../../../shared/ui/states";
import { LIVE_EVENT_LIMIT, useSecurityEventStream } from "../api/stream-security-events";
import { severityOfName } from "./event-severity";
import type { SecurityEventFilters } from "./security-event-filters";
import { SecurityEventTable } from "./security-event-table";

const STATUS_TEXT = {
  connecting: "Connecting to the live stream…",
  live: "Live: new events appear here as they happen.",
  ended: "The server ended the live stream.",
  failed: "The live stream failed.",
} as const;

export function LiveEventsSection({
  filters,
  selectedId,
  onSelect,
}: {
  filters: SecurityEventFilters;
  selectedId: string | undefined;
  onSelect: (event: SecurityEvent) => void;
}) {
  const severity = severityOfName(filters.severity);
  const stream = useSecurityEventStream({
    customerId: filters.tenant,
    vmId: filters.vm,
    minSeverity: severity,
  });
  const events = stream.events.filter(
    (e) =>
      (filters.type === "" || e.eventType === filters.type) &&
      (severity === EventSeverity.UNSPECIFIED || e.severity === severity),
  );
  return (
    <section className="card" aria-labelledby="live-events-title">
      <h2 id="live-events-title">Live events</h2>
      <div className="stack">
        <p className="toolbar">
          <span role="status">{STATUS_TEXT[stream.status]}</span>
          {(stream.status === "ended" || stream.status === "failed") && (
            <Button onClick={stream.reconnect}>Reconnect</Button>
          )}
        </p>
        {stream.status === "failed" && (
          <ErrorState title="The live stream failed" error={stream.error} />
        )}
        {events.length === 0 ? (
          <EmptyState title="No new events since this page opened." />
        ) : (
          <>
            <SecurityEventTable
              events={events}
              caption="Live events, newest first"
              selectedId={selectedId}
              onSelect={onSelect}
            />
            {stream.events.length >= LIVE_EVENT_LIMIT && (
              <p>The newest {LIVE_EVENT_LIMIT} are shown; older ones are in the history.</p>
            )}
          </>
        )}
      </div>
    </section>
  );
}
