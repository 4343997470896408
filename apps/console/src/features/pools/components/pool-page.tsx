// One pool: its utilization and every address allocated from it, leaked ones marked and, for
// operators, released behind a confirmation; operators edit the pool here.
import { Link, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { formatTimestamp } from "../../../shared/format";
import { Badge } from "../../../shared/ui/badge";
import { Button } from "../../../shared/ui/button";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useCaller } from "../../auth/api/get-host-info";
import { useGetPool } from "../api/get-pool";
import { useListAllocations } from "../api/list-allocations";
import { LeakedAllocationsSection } from "./leaked-allocations-section";
import { PoolEditForm } from "./pool-edit-form";
import { PoolUtilization } from "./pool-utilization";

export function PoolPage() {
  const { poolId } = useParams({ strict: false }) as { poolId: string };
  const pool = useGetPool(poolId);
  const allocations = useListAllocations(poolId);
  const caller = useCaller();
  const [editing, setEditing] = useState(false);
  const [done, setDone] = useState<string>();
  const leaked = allocations.data?.allocations.filter((a) => a.leaked) ?? [];
  return (
    <>
      <PageHeader
        title={`Pool ${poolId}`}
        subtitle={pool.data?.pool?.prefix}
        actions={
          caller.isOperator &&
          pool.data?.pool &&
          !editing && (
            <Button
              onClick={() => {
                setDone(undefined);
                setEditing(true);
              }}
            >
              Edit pool
            </Button>
          )
        }
      />
      {/* Always present, so that screen readers announce what an action did. */}
      <p className={done ? "notice" : "visually-hidden"} role="status">
        {done}
      </p>
      {editing && pool.data?.pool && (
        <section className="card" aria-labelledby="pool-edit">
          <h2 id="pool-edit">Edit pool</h2>
          <PoolEditForm
            pool={pool.data.pool}
            onCancel={() => setEditing(false)}
            onDone={(message) => {
              setEditing(false);
              setDone(message);
            }}
          />
        </section>
      )}
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
      {allocations.isSuccess && (
        <LeakedAllocationsSection leaked={leaked} canClean={caller.isOperator} onDone={setDone} />
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
