// Address pools: prefix, owner, utilization; each links to its allocations.
import { Link } from "@tanstack/react-router";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useListPools } from "../api/list-pools";
import { PoolUtilization } from "./pool-utilization";

export function PoolListPage() {
  const pools = useListPools();
  return (
    <>
      <PageHeader
        title="IPv6 address pools"
        subtitle="A VM created without addresses draws one from its tenant's pool, else from the default pool."
      />
      {pools.isPending ? (
        <LoadingState label="Loading pools…" />
      ) : pools.isError ? (
        <ErrorState
          title="Could not list the pools"
          error={pools.error}
          onRetry={() => pools.refetch()}
        />
      ) : pools.data.pools.length === 0 ? (
        <EmptyState title="No address pools.">
          <p>
            Operators create pools with <code>Ipv6PoolService.CreatePool</code> or metald's{" "}
            <code>METALD_DEFAULT_POOL_PREFIX</code>.
          </p>
        </EmptyState>
      ) : (
        <TableScroll label="Address pools">
          <table>
            <caption className="visually-hidden">Address pools</caption>
            <thead>
              <tr>
                <th scope="col">Pool</th>
                <th scope="col">Prefix</th>
                <th scope="col">Tenant</th>
                <th scope="col">Utilization</th>
                <th scope="col" className="numeric">
                  Rate limit
                </th>
              </tr>
            </thead>
            <tbody>
              {pools.data.pools.map((p) => (
                <tr key={p.id}>
                  <th scope="row">
                    <Link to="/pools/$poolId" params={{ poolId: p.id }}>
                      {p.id}
                    </Link>
                    {p.description && <div className="page-header__subtitle">{p.description}</div>}
                  </th>
                  <td className="mono">{p.prefix}</td>
                  <td>{p.tenantId || "shared"}</td>
                  <td>
                    <PoolUtilization pool={p} />
                  </td>
                  <td className="numeric">{p.rateLimit ? `${p.rateLimit}/h` : "none"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}
