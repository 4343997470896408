// One pool: its utilization and every address allocated from it, leaked ones marked.
import { Link, useParams } from "@tanstack/react-router";
import { formatTimestamp } from "../../../shared/format";
import { Badge } from "../../../shared/ui/badge";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useGetPool } from "../api/get-pool";
import { useListAllocations } from "../api/list-allocations";
import { PoolUtilization } from "./pool-utilization";

export function PoolPage() {
  const { poolId } = useParams({ strict: false }) as { poolId: string };
  const pool = useGetPool(poolId);
  const allocations = useListAllocations(poolId);
  return (
    <>
      <PageHeader title={`Pool ${poolId}`} subtitle={pool.data?.pool?.prefix} />
      {pool.isPending ? (
        <LoadingState label="Loading the pool…" />
      ) : pool.isError ? (
        <ErrorState
          title="Could not load this pool"
          error={pool.error}
          onRetry={() => pool.refetch()}
        />
      ) : (
        pool.data.pool && (
          <section className="card" aria-labelledby="pool-summary">
            <h2 id="pool-summary">Utilization</h2>
            <PoolUtilization pool={pool.data.pool} />
            <dl className="facts">
              <dt>Tenant</dt>
              <dd>{pool.data.pool.tenantId || "shared"}</dd>
              <dt>Description</dt>
              <dd>{pool.data.pool.description || "—"}</dd>
              <dt>Rate limit</dt>
              <dd>
                {pool.data.pool.rateLimit
                  ? `${pool.data.pool.rateLimit} allocations per hour`
                  : "none"}
              </dd>
            </dl>
          </section>
        )
      )}
      <section className="card" aria-labelledby="pool-allocations">
        <h2 id="pool-allocations">Allocations</h2>
        {allocations.isPending ? (
          <LoadingState label="Loading allocations…" />
        ) : allocations.isError ? (
          <ErrorState
            title="Could not list the allocations"
            error={allocations.error}
            onRetry={() => allocations.refetch()}
          />
        ) : allocations.data.allocations.length === 0 ? (
          <EmptyState title="No address is allocated from this pool." />
        ) : (
          <TableScroll label="Allocations">
            <table>
              <caption className="visually-hidden">Allocations</caption>
              <thead>
                <tr>
                  <th scope="col">Address</th>
                  <th scope="col">VM</th>
                  <th scope="col">Interface</th>
                  <th scope="col">Allocated</th>
                </tr>
              </thead>
              <tbody>
                {allocations.data.allocations.map((a) => (
                  <tr key={a.address}>
                    <th scope="row" className="mono">
                      {a.address}
                    </th>
                    <td>
                      {a.leaked ? (
                        <Badge tone="warning">Leaked</Badge>
                      ) : (
                        <Link to="/vms/$vmId" params={{ vmId: a.vmId }} className="mono">
                          {a.vmId}
                        </Link>
                      )}
                    </td>
                    <td>{a.interfaceId || "—"}</td>
                    <td>{formatTimestamp(a.allocatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
    </>
  );
}
