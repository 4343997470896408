// The fleet's hosts: each metald sharing the database registers itself at start (its host id,
// the URL it listens on, its version, driver and the capabilities its driver probed) and moves
// last_heartbeat_at forward on a timer. heartbeat_ms is the host's own interval, so that
// staleness (three missed heartbeats) is judged per host whatever interval each one runs.
// Not in backups: a restored host registers itself again when it starts.
export const hostRegistry = `
CREATE TABLE hosts (
  host_id           text PRIMARY KEY,
  address           text NOT NULL,
  version           text NOT NULL,
  driver            text NOT NULL,
  capabilities      jsonb NOT NULL,
  heartbeat_ms      integer NOT NULL CHECK (heartbeat_ms > 0),
  started_at        timestamptz NOT NULL,
  last_heartbeat_at timestamptz NOT NULL
);
-- Each host's start-up reconcile and live-VM index page through its own VMs only.
CREATE INDEX vms_host_idx ON vms (host_id, id);
`;
