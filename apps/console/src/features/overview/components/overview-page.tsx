// The overview: VMs by state, tenants, pool utilization, the host and the fleet's hosts. Widgets are cards in one
// grid; open compliance violations among them, security events per minute across its width.
import { VmState } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { UtilizationBar } from "../../../shared/ui/utilization-bar";
import { useCaller, useHostInfo } from "../../auth/api/get-host-info";
import { OpenViolationsWidget } from "../../compliance/components/open-violations-widget";
import { HostsWidget } from "../../hosts/components/hosts-widget";
import { EventsPerMinuteWidget } from "../../security-events/components/events-per-minute-chart";
import { useVmCountsByState } from "../api/count-vms-by-state";
import { usePoolUtilization } from "../api/list-pools";
import { useTenantCount } from "../api/list-tenants";

const STATE_LABELS: Partial<Record<VmState, string>> = {
  [VmState.RUNNING]: "Running",
  [VmState.CREATED]: "Created",
  [VmState.SHUTDOWN]: "Shut down",
  [VmState.PAUSED]: "Paused",
  [VmState.FAILED]: "Failed",
  [VmState.TERMINATED]: "Terminated",
};

function VmStatesWidget() {
  const counts = useVmCountsByState();
  return (
    <section className="card" aria-labelledby="overview-vms">
      <h2 id="overview-vms">Virtual machines</h2>
      {counts.isPending ? (
        <LoadingState label="Counting VMs…" />
      ) : counts.isError ? (
        <ErrorState
          title="Could not count the VMs"
          error={counts.error}
          onRetry={() => counts.refetch()}
        />
      ) : (
        <>
          <p className="stat">{counts.data.total}</p>
          <dl className="facts">
            {counts.data.byState.map(({ state, count }) => (
              <div key={state} className="facts__row">
                <dt>
                  <Link to="/vms" search={{ state: VmState[state] }}>
                    {STATE_LABELS[state]}
                  </Link>
                </dt>
                <dd>{count}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}

function TenantsWidget() {
  const tenants = useTenantCount();
  return (
    <section className="card" aria-labelledby="overview-tenants">
      <h2 id="overview-tenants">Tenants</h2>
      {tenants.isPending ? (
        <LoadingState label="Counting tenants…" />
      ) : tenants.isError ? (
        <ErrorState
          title="Could not count the tenants"
          error={tenants.error}
          onRetry={() => tenants.refetch()}
        />
      ) : (
        <>
          <p className="stat">{tenants.count}</p>
          <Link to="/tenants">All tenants</Link>
        </>
      )}
    </section>
  );
}

function PoolsWidget() {
  const pools = usePoolUtilization();
  return (
    <section className="card" aria-labelledby="overview-pools">
      <h2 id="overview-pools">Address pools</h2>
      {pools.isPending ? (
        <LoadingState label="Loading pools…" />
      ) : pools.isError ? (
        <ErrorState
          title="Could not load the pools"
          error={pools.error}
          onRetry={() => pools.refetch()}
        />
      ) : pools.data.pools.length === 0 ? (
        <EmptyState title="No address pools." />
      ) : (
        <ul className="plain-list">
          {[...pools.data.pools]
            .sort((a, b) => b.utilization - a.utilization)
            .slice(0, 5)
            .map((p) => (
              <li key={p.id}>
                <Link to="/pools/$poolId" params={{ poolId: p.id }}>
                  {p.id}
                </Link>{" "}
                <span className="mono">{p.prefix}</span>
                <UtilizationBar
                  label={`Utilization of pool ${p.id}`}
                  fraction={p.utilization}
                  detail={`${p.allocatedAddresses.toLocaleString()} allocated`}
                />
              </li>
            ))}
        </ul>
      )}
    </section>
  );
}

function HostWidget() {
  const host = useHostInfo();
  const c = host.capabilities;
  return (
    <section className="card" aria-labelledby="overview-host">
      <h2 id="overview-host">Host</h2>
      <dl className="facts">
        <dt>Host</dt>
        <dd>{host.hostId}</dd>
        <dt>metald</dt>
        <dd>{host.version}</dd>
        <dt>Driver</dt>
        <dd>{host.driver}</dd>
        <dt>Database</dt>
        <dd>{host.database}</dd>
        <dt>nftables</dt>
        <dd>{c?.nftables ? "yes" : "no"}</dd>
        <dt>VLAN devices</dt>
        <dd>{c?.vlanDevices ? "yes" : "no (tenants kept apart by bridges and marks)"}</dd>
      </dl>
      {c && c.notes.length > 0 && (
        <ul className="plain-list">
          {c.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function OverviewPage() {
  const caller = useCaller();
  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={caller.tenantId ? `Tenant ${caller.tenantId}` : "This host"}
      />
      <div className="grid">
        <VmStatesWidget />
        <TenantsWidget />
        <PoolsWidget />
        {!caller.tenantId && <HostWidget />}
        <OpenViolationsWidget />
        <EventsPerMinuteWidget />
        {!caller.tenantId && <HostsWidget />}
      </div>
    </>
  );
}
