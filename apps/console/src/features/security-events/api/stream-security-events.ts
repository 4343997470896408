// SecurityEventService.StreamSecurityEvents: events as the server stores them (server streaming
// over gRPC-web). The hook keeps the newest events first, reconnects on demand, and ends the
// call when the page unmounts or the filter changes.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Transport } from "@connectrpc/connect";
import { useTransport } from "@connectrpc/connect-query";
import {
  type SecurityEvent,
  SecurityEventService,
  type StreamSecurityEventsRequestSchema,
} from "@metald/proto";
import { useEffect, useState } from "react";

export type StreamSecurityEventsInput = MessageInitShape<typeof StreamSecurityEventsRequestSchema>;

/** How many live events the page keeps; older ones are in the history. */
export const LIVE_EVENT_LIMIT = 200;

export async function streamSecurityEvents(
  transport: Transport,
  input: StreamSecurityEventsInput,
  onEvent: (event: SecurityEvent) => void,
  signal: AbortSignal,
) {
  const client = createClient(SecurityEventService, transport);
  for await (const res of client.streamSecurityEvents(input, { signal })) {
    if (res.event) onEvent(res.event);
  }
}

export interface SecurityEventStream {
  /** Newest first. */
  events: SecurityEvent[];
  status: "connecting" | "live" | "ended" | "failed";
  error: unknown;
  reconnect: () => void;
}

export function useSecurityEventStream(input: StreamSecurityEventsInput): SecurityEventStream {
  const transport = useTransport();
  const [events, setEvents] = useState<SecurityEvent[]>([]);
  const [status, setStatus] = useState<SecurityEventStream["status"]>("connecting");
  const [error, setError] = useState<unknown>();
  const [attempt, setAttempt] = useState(0);
  const { customerId = "", vmId = "", minSeverity = 0 } = input;

  useEffect(() => {
    // A new attempt or filter: the dependencies below start the effect again.
    void attempt;
    const abort = new AbortController();
    setEvents([]);
    setStatus("connecting");
    setError(undefined);
    // gRPC-web sends the response headers with the first message or the end; the stream counts
    // as live once the request is on its way.
    const opened = setTimeout(() => setStatus((s) => (s === "connecting" ? "live" : s)), 0);
    streamSecurityEvents(
      transport,
      { customerId, vmId, minSeverity },
      (event) => {
        setStatus("live");
        setEvents((prev) => [event, ...prev].slice(0, LIVE_EVENT_LIMIT));
      },
      abort.signal,
    ).then(
      () => {
        if (!abort.signal.aborted) setStatus("ended");
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        setError(e);
        setStatus("failed");
      },
    );
    return () => {
      clearTimeout(opened);
      abort.abort();
    };
  }, [transport, customerId, vmId, minSeverity, attempt]);

  return { events, status, error, reconnect: () => setAttempt((n) => n + 1) };
}
