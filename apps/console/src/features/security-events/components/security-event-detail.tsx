// One event in full: what happened, and what the packet samples showed (sampled sources,
// extension headers, ICMPv6 types) from the event's details; other details as they came.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { SecurityEvent } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { useEffect, useRef } from "react";
import { formatTimestamp } from "../../../shared/format";
import { Button } from "../../../shared/ui/button";
import { EventSeverityBadge, eventTypeLabel } from "./event-severity";

const ICMPV6_TYPES: Record<number, string> = {
  1: "destination unreachable",
  2: "packet too big",
  3: "time exceeded",
  4: "parameter problem",
  128: "echo request",
  129: "echo reply",
  130: "multicast listener query",
  131: "multicast listener report",
  132: "multicast listener done",
  133: "router solicitation",
  134: "router advertisement",
  135: "neighbor solicitation",
  136: "neighbor advertisement",
  137: "redirect",
  143: "multicast listener report v2",
};

/** Keys shown in their own rows; the rest are listed as they came. */
const KNOWN = new Set([
  "samples",
  "sampled_sources",
  "other_sources",
  "destination_ip",
  "interface",
  "extension_headers",
  "icmpv6_types",
]);

interface SampledSource {
  ip: string;
  samples: number;
}

function sampledSources(value: JsonValue | undefined): SampledSource[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && typeof v.ip === "string"
      ? [{ ip: v.ip, samples: typeof v.samples === "number" ? v.samples : 0 }]
      : [],
  );
}

const list = (value: JsonValue | undefined) => (Array.isArray(value) ? value : []);

function icmpv6Label(type: JsonValue): string {
  const n = Number(type);
  const name = ICMPV6_TYPES[n];
  return name ? `${n} (${name})` : String(type);
}

const show = (v: JsonValue) => (typeof v === "string" ? v : JSON.stringify(v));

export function SecurityEventDetail({
  event,
  onClose,
}: {
  event: SecurityEvent;
  onClose: () => void;
}) {
  const details: JsonObject = event.details ?? {};
  const sources = sampledSources(details.sampled_sources);
  const headers = list(details.extension_headers);
  const icmp = list(details.icmpv6_types);
  const other = Object.entries(details).filter(([k]) => !KNOWN.has(k));
  const heading = useRef<HTMLHeadingElement>(null);
  // Opened from a row further down: the reader is taken to it.
  useEffect(() => {
    if (event.eventId) heading.current?.focus();
  }, [event.eventId]);
  return (
    <section className="card" aria-labelledby="event-detail-title">
      <div className="page-header">
        <h2 id="event-detail-title" ref={heading} tabIndex={-1}>
          Event <span className="mono">{event.eventId}</span>
        </h2>
        <Button onClick={onClose}>Close details</Button>
      </div>
      <p>{event.description}</p>
      <dl className="facts">
        <dt>Time</dt>
        <dd>{formatTimestamp(event.timestamp)}</dd>
        <dt>Type</dt>
        <dd>{eventTypeLabel(event.eventType)}</dd>
        <dt>Severity</dt>
        <dd>
          <EventSeverityBadge severity={event.severity} />
        </dd>
        <dt>VM</dt>
        <dd>
          {event.vmId ? (
            <Link to="/vms/$vmId" params={{ vmId: event.vmId }}>
              {event.vmId}
            </Link>
          ) : (
            "—"
          )}
        </dd>
        <dt>Tenant</dt>
        <dd>{event.customerId || "—"}</dd>
        <dt>Packets</dt>
        <dd>{event.count.toLocaleString()}</dd>
        <dt>Source</dt>
        <dd className="mono">{event.sourceIp || "—"}</dd>
        {details.destination_ip !== undefined && (
          <>
            <dt>Destination</dt>
            <dd className="mono">{show(details.destination_ip)}</dd>
          </>
        )}
        {details.interface !== undefined && (
          <>
            <dt>Interface</dt>
            <dd className="mono">{show(details.interface)}</dd>
          </>
        )}
        {details.samples !== undefined && (
          <>
            <dt>Packet samples</dt>
            <dd>{show(details.samples)}</dd>
          </>
        )}
        <dt>Extension headers</dt>
        <dd>{headers.length > 0 ? headers.map(show).join(", ") : "none sampled"}</dd>
        <dt>ICMPv6 types</dt>
        <dd>{icmp.length > 0 ? icmp.map(icmpv6Label).join(", ") : "none sampled"}</dd>
        {other.map(([k, v]) => (
          <div key={k} className="facts__row">
            <dt>{k.replaceAll("_", " ")}</dt>
            <dd className="mono">{show(v)}</dd>
          </div>
        ))}
      </dl>
      {sources.length > 0 && (
        <table>
          <caption>Sampled sources</caption>
          <thead>
            <tr>
              <th scope="col">Source address</th>
              <th scope="col" className="numeric">
                Samples
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr key={s.ip}>
                <td className="mono">{s.ip}</td>
                <td className="numeric">{s.samples}</td>
              </tr>
            ))}
            {typeof details.other_sources === "number" && details.other_sources > 0 && (
              <tr>
                <td>Other sources</td>
                <td className="numeric">{details.other_sources}</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
