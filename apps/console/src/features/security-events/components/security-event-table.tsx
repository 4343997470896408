// Security events as a table: time, type, severity, VM, tenant, source, count; each row's
// "Details" button opens the event below the table.
import type { SecurityEvent } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { formatTimestamp } from "../../../shared/format";
import { Button } from "../../../shared/ui/button";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { EventSeverityBadge, eventTypeLabel } from "./event-severity";

export function SecurityEventTable({
  events,
  caption,
  selectedId,
  onSelect,
}: {
  events: readonly SecurityEvent[];
  caption: string;
  selectedId: string | undefined;
  onSelect: (event: SecurityEvent) => void;
}) {
  return (
    <TableScroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Severity</th>
            <th scope="col">VM</th>
            <th scope="col">Tenant</th>
            <th scope="col">Source</th>
            <th scope="col" className="numeric">
              Count
            </th>
            <th scope="col">
              <span className="visually-hidden">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.eventId} className={e.eventId === selectedId ? "row--selected" : undefined}>
              <td>{formatTimestamp(e.timestamp)}</td>
              <td>{eventTypeLabel(e.eventType)}</td>
              <td>
                <EventSeverityBadge severity={e.severity} />
              </td>
              <td>
                {e.vmId ? (
                  <Link to="/vms/$vmId" params={{ vmId: e.vmId }}>
                    {e.vmId}
                  </Link>
                ) : (
                  "—"
                )}
              </td>
              <td>{e.customerId || "—"}</td>
              <td className="mono">{e.sourceIp || "—"}</td>
              <td className="numeric">{e.count.toLocaleString()}</td>
              <td>
                <Button
                  onClick={() => onSelect(e)}
                  aria-label={`Details of ${eventTypeLabel(e.eventType)} event ${e.eventId}`}
                >
                  Details
                </Button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
