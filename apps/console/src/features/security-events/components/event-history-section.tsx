// The stored event log within the filters (ListSecurityEvents), oldest first, page by page with
// the server's page tokens; the filters start again from the first page.
import type { SecurityEvent } from "@metald/proto";
import { useState } from "react";
import { Button } from "../../../shared/ui/button";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { type ListSecurityEventsInput, useListSecurityEvents } from "../api/list-security-events";
import { SecurityEventTable } from "./security-event-table";

export const EVENT_PAGE_SIZE = 50;

export function EventHistorySection({
  input,
  filtered,
  selectedId,
  onSelect,
}: {
  /** The filters as a request, without paging. */
  input: ListSecurityEventsInput;
  filtered: boolean;
  selectedId: string | undefined;
  onSelect: (event: SecurityEvent) => void;
}) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const inputKey = JSON.stringify(input, (_, v) => (typeof v === "bigint" ? String(v) : v));
  const [forKey, setForKey] = useState(inputKey);
  if (forKey !== inputKey) {
    // New filters: back to the first page.
    setForKey(inputKey);
    setTokens([""]);
  }
  const pageToken = tokens[tokens.length - 1] ?? "";
  const query = useListSecurityEvents({ ...input, pageSize: EVENT_PAGE_SIZE, pageToken });
  const page = tokens.length;
  return (
    <section className="card" aria-labelledby="event-history-title">
      <h2 id="event-history-title">History</h2>
      <div className="stack">
        {query.isPending ? (
          <LoadingState label="Loading events…" />
        ) : query.isError ? (
          <ErrorState
            title="Could not list the events"
            error={query.error}
            onRetry={() => query.refetch()}
          />
        ) : query.data.events.length === 0 ? (
          <EmptyState
            title={
              page > 1
                ? "No more events."
                : filtered
                  ? "No event matches these filters."
                  : "No events in this time range."
            }
          />
        ) : (
          <SecurityEventTable
            events={query.data.events}
            caption={`Stored events, oldest first, page ${page}`}
            selectedId={selectedId}
            onSelect={onSelect}
          />
        )}
        <nav className="pager" aria-label="Event pages">
          <Button
            onClick={() => setTokens((t) => t.slice(0, -1))}
            disabled={page === 1 || query.isPlaceholderData}
          >
            Previous page
          </Button>
          <Button
            onClick={() => query.data && setTokens((t) => [...t, query.data.nextPageToken])}
            disabled={
              !query.data ||
              query.data.events.length < EVENT_PAGE_SIZE ||
              query.data.nextPageToken === "" ||
              query.isPlaceholderData
            }
          >
            Next page
          </Button>
          <Button onClick={() => query.refetch()} busy={query.isFetching}>
            Refresh
          </Button>
        </nav>
      </div>
    </section>
  );
}
