// Counts over the time range, grouped by type, severity and VM (GetSecurityReport); a type's
// count filters the page to it.
import type { CountByKey } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { type GetSecurityReportInput, useSecurityReport } from "../api/get-security-report";
import { eventTypeLabel } from "./event-severity";

function CountList({
  title,
  counts,
  render,
}: {
  title: string;
  counts: readonly CountByKey[];
  render: (key: string) => React.ReactNode;
}) {
  return (
    <div>
      <h3>{title}</h3>
      {counts.length === 0 ? (
        <p>None.</p>
      ) : (
        <dl className="facts">
          {counts.map((c) => (
            <div key={c.key} className="facts__row">
              <dt>{render(c.key)}</dt>
              <dd>{c.count.toLocaleString()}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}

export function EventCountsSection({ input }: { input: GetSecurityReportInput }) {
  const report = useSecurityReport({ ...input, topOffenders: 5 });
  return (
    <section className="card" aria-labelledby="event-counts-title">
      <h2 id="event-counts-title">Counts in this time range</h2>
      <p>Of every event in the range{input.customerId ? ` of tenant ${input.customerId}` : ""}.</p>
      {report.isPending ? (
        <LoadingState label="Counting events…" />
      ) : report.isError ? (
        <ErrorState
          title="Could not count the events"
          error={report.error}
          onRetry={() => report.refetch()}
        />
      ) : report.data.totalEvents === 0n ? (
        <EmptyState title="No events in this time range." />
      ) : (
        <div className="grid">
          <div>
            <h3>Total</h3>
            <p className="stat">{report.data.totalEvents.toLocaleString()}</p>
          </div>
          <CountList
            title="By type"
            counts={report.data.byEventType}
            render={(type) => (
              <Link to="/events" search={(s) => ({ ...s, type })}>
                {eventTypeLabel(type)}
              </Link>
            )}
          />
          <CountList title="By severity" counts={report.data.bySeverity} render={(s) => s} />
          <CountList
            title="Top VMs"
            counts={report.data.byVm}
            render={(vmId) =>
              vmId ? (
                <Link to="/vms/$vmId" params={{ vmId }}>
                  {vmId}
                </Link>
              ) : (
                "host"
              )
            }
          />
          <CountList title="Top sources" counts={report.data.topSourceIps} render={(ip) => ip} />
        </div>
      )}
    </section>
  );
}
