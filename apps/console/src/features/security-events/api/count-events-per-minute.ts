// Events per minute by type over the last hour, for the overview's chart: the newest page of the
// event log since an hour ago (ListSecurityEvents, at most 1,000 events), bucketed by minute.
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useQuery } from "@connectrpc/connect-query";
import type { SecurityEvent } from "@metald/proto";
import { keepPreviousData } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { listSecurityEventsMethod } from "./list-security-events";

export const CHART_MINUTES = 60;
const PAGE_SIZE = 1000;

export interface EventsPerMinute {
  /** Start of each minute (ms), oldest first; CHART_MINUTES of them. */
  minutes: number[];
  /** Event types, most frequent first, each with one count per minute. */
  series: { type: string; counts: number[]; total: number }[];
  /** The hour held more events than one page: the counts are of its first PAGE_SIZE. */
  truncated: boolean;
}

export function bucketEventsPerMinute(
  events: readonly SecurityEvent[],
  now: number,
  truncated = false,
): EventsPerMinute {
  const end = Math.floor(now / 60_000) * 60_000 + 60_000;
  const start = end - CHART_MINUTES * 60_000;
  const minutes = Array.from({ length: CHART_MINUTES }, (_, i) => start + i * 60_000);
  const byType = new Map<string, number[]>();
  for (const e of events) {
    if (!e.timestamp) continue;
    const i = Math.floor((timestampDate(e.timestamp).getTime() - start) / 60_000);
    if (i < 0 || i >= CHART_MINUTES) continue;
    let counts = byType.get(e.eventType);
    if (!counts) {
      counts = new Array<number>(CHART_MINUTES).fill(0);
      byType.set(e.eventType, counts);
    }
    counts[i] = (counts[i] ?? 0) + 1;
  }
  const series = [...byType]
    .map(([type, counts]) => ({ type, counts, total: counts.reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total || a.type.localeCompare(b.type));
  return { minutes, series, truncated };
}

/** The current minute's start; changes once a minute. */
function useMinute(): number {
  const [minute, setMinute] = useState(() => Math.floor(Date.now() / 60_000) * 60_000);
  useEffect(() => {
    const timer = setInterval(() => setMinute(Math.floor(Date.now() / 60_000) * 60_000), 15_000);
    return () => clearInterval(timer);
  }, []);
  return minute;
}

export function useEventsPerMinute() {
  const minute = useMinute();
  const start = minute - (CHART_MINUTES - 1) * 60_000;
  const query = useQuery(
    listSecurityEventsMethod,
    { start: timestampFromDate(new Date(start)), pageSize: PAGE_SIZE },
    { placeholderData: keepPreviousData },
  );
  const data = useMemo(
    () =>
      query.data &&
      bucketEventsPerMinute(query.data.events, minute, query.data.events.length >= PAGE_SIZE),
    [query.data, minute],
  );
  return { ...query, data };
}
