// The overview's hosts of the fleet: every host sharing the database, with its address,
// version, driver and last heartbeat; a stale host (3 heartbeats missed) is marked, and the
// host serving the console is named.

import { formatTimestamp } from "../../../shared/format";
import { Badge } from "../../../shared/ui/badge";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { TableScroll } from "../../../shared/ui/table-scroll";
import { useHosts } from "../api/list-hosts";

export function HostsWidget() {
  const hosts = useHosts();
  return (
    <section className="card card--wide" aria-labelledby="overview-hosts">
      <h2 id="overview-hosts">Hosts</h2>
      {hosts.isPending ? (
        <LoadingState label="Loading hosts…" />
      ) : hosts.isError ? (
        <ErrorState
          title="Could not list the hosts"
          error={hosts.error}
          onRetry={() => hosts.refetch()}
        />
      ) : hosts.data.hosts.length === 0 ? (
        <EmptyState title="No host has registered yet." />
      ) : (
        <TableScroll label="Hosts">
          <table>
            <caption className="visually-hidden">Hosts of the fleet</caption>
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Address</th>
                <th scope="col">Version</th>
                <th scope="col">Driver</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {hosts.data.hosts.map((h) => (
                <tr key={h.hostId}>
                  <th scope="row">
                    {h.hostId}
                    {h.hostId === hosts.data.servingHostId && " (this host)"}
                  </th>
                  <td className="mono">{h.address}</td>
                  <td>{h.version}</td>
                  <td>{h.driver}</td>
                  <td>{formatTimestamp(h.lastHeartbeatAt)}</td>
                  <td>
                    {h.stale ? <Badge tone="danger">Stale</Badge> : <Badge tone="good">Live</Badge>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
