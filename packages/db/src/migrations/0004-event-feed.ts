// The event log as a feed: seq is a total order that readers can resume from, each event knows
// when it expires, and each SIEM destination's position is the outbox (the events table itself
// holds what is still to be sent).
export const eventFeed = `
ALTER TABLE security_events ADD COLUMN expires_at timestamptz;
UPDATE security_events SET expires_at = occurred_at + interval '90 days';
ALTER TABLE security_events ALTER COLUMN expires_at SET NOT NULL;
-- The SIEM route an event goes to (critical, security, audit, performance): each route's
-- outbox is its category read in seq order.
ALTER TABLE security_events ADD COLUMN category text NOT NULL DEFAULT 'security';
CREATE INDEX security_events_category_seq_idx ON security_events (category, seq);
CREATE INDEX security_events_expiry_idx ON security_events (expires_at);
-- Queries read in time order (keyset on occurred_at, seq); feeds and outboxes in seq order
-- (the primary key; a route's outbox by category). Each index costs ingest, so no more.
DROP INDEX security_events_time_idx;
DROP INDEX security_events_tenant_idx;
DROP INDEX security_events_vm_idx;
CREATE INDEX security_events_time_idx ON security_events (occurred_at, seq);
CREATE INDEX security_events_tenant_time_idx ON security_events (tenant_id, occurred_at, seq);
CREATE INDEX security_events_vm_time_idx ON security_events (vm_id, occurred_at, seq);
CREATE INDEX security_events_type_time_idx ON security_events (event_type, severity, occurred_at, seq);
-- Severity follows from the event type: without this the planner takes a type and severity
-- that never occur together as common, and scans the time index for them.
CREATE STATISTICS security_events_type_severity (mcv, dependencies) ON event_type, severity
  FROM security_events;

-- The highest seq that retention has deleted: a reader whose cursor is below it missed events.
CREATE TABLE security_event_retention (
  id                 integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  purged_through_seq bigint NOT NULL DEFAULT 0
);
INSERT INTO security_event_retention DEFAULT VALUES;

CREATE TABLE siem_deliveries (
  destination   text PRIMARY KEY,
  delivered_seq bigint NOT NULL,
  dropped       bigint NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
`;
