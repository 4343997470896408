// VMs × frameworks: each VM of one page of ListVms with its status under every framework
// (GetComplianceStatus per VM shown); frameworks a VM does not require read "Not required".
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { Button } from "../../../shared/ui/button";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useListVms } from "../../vms/api/list-vms";
import { FRAMEWORKS, statusByFramework, useVmsCompliance } from "../api/get-vm-compliance";
import { ComplianceStatusBadge } from "./compliance-status-badge";

export const MATRIX_PAGE_SIZE = 25;

function MatrixRows({ vmIds }: { vmIds: string[] }) {
  const statuses = useVmsCompliance(vmIds);
  return (
    <tbody>
      {vmIds.map((vmId, i) => {
        const q = statuses[i];
        const cells = q?.data ? statusByFramework(q.data) : undefined;
        return (
          <tr key={vmId}>
            <th scope="row">
              <Link to="/vms/$vmId" params={{ vmId }}>
                {vmId}
              </Link>
            </th>
            {FRAMEWORKS.map(({ framework, label }) => (
              <td key={label}>
                {!q || q.isPending ? (
                  "…"
                ) : q.isError ? (
                  <span className="field__error">could not load</span>
                ) : (
                  <ComplianceStatusBadge
                    cell={cells?.get(framework) ?? { status: "not_required", violated: 0 }}
                  />
                )}
              </td>
            ))}
          </tr>
        );
      })}
    </tbody>
  );
}

export function ComplianceMatrix({ tenant }: { tenant: string }) {
  const [tokens, setTokens] = useState<string[]>([""]);
  const [forTenant, setForTenant] = useState(tenant);
  if (forTenant !== tenant) {
    setForTenant(tenant);
    setTokens([""]);
  }
  const pageToken = tokens[tokens.length - 1] ?? "";
  const vms = useListVms({ tenantId: tenant, pageSize: MATRIX_PAGE_SIZE, pageToken });
  const page = tokens.length;
  return (
    <section className="card" aria-labelledby="compliance-matrix-title">
      <h2 id="compliance-matrix-title">VMs by framework</h2>
      <div className="stack">
        {vms.isPending ? (
          <LoadingState label="Loading VMs…" />
        ) : vms.isError ? (
          <ErrorState
            title="Could not list the VMs"
            error={vms.error}
            onRetry={() => vms.refetch()}
          />
        ) : vms.data.vms.length === 0 ? (
          <EmptyState title={tenant ? "This tenant has no VMs." : "No VMs yet."} />
        ) : (
          <>
            <TableScroll label="Compliance of each VM by framework">
              <table>
                <caption>
                  Compliance by framework (a number counts the requirements not met)
                </caption>
                <thead>
                  <tr>
                    <th scope="col">VM</th>
                    {FRAMEWORKS.map((f) => (
                      <th key={f.label} scope="col">
                        {f.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <MatrixRows vmIds={vms.data.vms.map((v) => v.vmId)} />
              </table>
            </TableScroll>
            <nav className="pager" aria-label="Matrix pages">
              <Button
                onClick={() => setTokens((t) => t.slice(0, -1))}
                disabled={page === 1 || vms.isPlaceholderData}
              >
                Previous page
              </Button>
              <Button
                onClick={() => setTokens((t) => [...t, vms.data.nextPageToken])}
                disabled={vms.data.nextPageToken === "" || vms.isPlaceholderData}
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
