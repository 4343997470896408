// The open violations within the page's tenant, newest first, page by page.
import { useState } from "react";
import { Button } from "../../../shared/ui/button";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { useListComplianceViolations } from "../api/list-compliance-violations";
import { ViolationTable } from "./violation-list";

const PAGE_SIZE = 50;

export function OpenViolationsSection({ tenant }: { tenant: string }) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const [forTenant, setForTenant] = useState(tenant);
  if (forTenant !== tenant) {
    setForTenant(tenant);
    setTokens([""]);
  }
  const pageToken = tokens[tokens.length - 1] ?? "";
  const query = useListComplianceViolations({
    customerId: tenant,
    pageSize: PAGE_SIZE,
    pageToken,
  });
  const page = tokens.length;
  return (
    <section className="card" aria-labelledby="open-violations-title">
      <h2 id="open-violations-title">Open violations</h2>
      <div className="stack">
        {query.isPending ? (
          <LoadingState label="Loading violations…" />
        ) : query.isError ? (
          <ErrorState
            title="Could not list the violations"
            error={query.error}
            onRetry={() => query.refetch()}
          />
        ) : query.data.violations.length === 0 ? (
          <EmptyState title="No open violations." />
        ) : (
          <>
            <ViolationTable violations={query.data.violations} caption="Open violations" />
            <nav className="pager" aria-label="Violation pages">
              <Button
                onClick={() => setTokens((t) => t.slice(0, -1))}
                disabled={page === 1 || query.isPlaceholderData}
              >
                Previous page
              </Button>
              <Button
                onClick={() => setTokens((t) => [...t, query.data.nextPageToken])}
                disabled={query.data.nextPageToken === "" || query.isPlaceholderData}
              >
                Next page
              </Button>
            </nav>
          </>
        )}
      </div>
    </section>
  );
}
