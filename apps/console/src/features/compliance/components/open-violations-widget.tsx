// The overview's card: how many violations are open and the newest few.
import { Link } from "@tanstack/react-router";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { frameworkLabel } from "../api/get-vm-compliance";
import { useListComplianceViolations } from "../api/list-compliance-violations";

const SHOWN = 5;

export function OpenViolationsWidget() {
  const query = useListComplianceViolations({ pageSize: 100 });
  return (
    <section className="card" aria-labelledby="overview-violations">
      <h2 id="overview-violations">Open compliance violations</h2>
      {query.isPending ? (
        <LoadingState label="Loading violations…" />
      ) : query.isError ? (
        <ErrorState
          title="Could not list the violations"
          error={query.error}
          onRetry={() => query.refetch()}
        />
      ) : query.data.violations.length === 0 ? (
        <EmptyState title="No open violations.">
          <Link to="/compliance">Compliance</Link>
        </EmptyState>
      ) : (
        <>
          <p className="stat">
            {query.data.violations.length}
            {query.data.nextPageToken ? "+" : ""}
          </p>
          <ul className="plain-list">
            {query.data.violations.slice(0, SHOWN).map((v) => (
              <li key={`${v.vmId} ${v.framework} ${v.requirement}`}>
                <Link to="/vms/$vmId" params={{ vmId: v.vmId }}>
                  {v.vmId}
                </Link>
                : {frameworkLabel(v.framework)} {v.requirement} {v.title} — fix{" "}
                <span className="mono">{v.fixFields.join(", ")}</span>
              </li>
            ))}
          </ul>
          <Link to="/compliance">All violations</Link>
        </>
      )}
    </section>
  );
}
