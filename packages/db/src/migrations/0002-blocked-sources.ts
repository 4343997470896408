// Host-wide blocked sources, kept so that a restart or a reconcile programs them again.
export const blockedSources = `
CREATE TABLE blocked_sources (
  source     text PRIMARY KEY,
  reason     text NOT NULL DEFAULT '',
  actor      text NOT NULL,
  created_at timestamptz NOT NULL
);
`;
