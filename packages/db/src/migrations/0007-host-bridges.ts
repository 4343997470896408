// The bridges metald created, per host and per namespace standing for the host (a sandbox's, or
// "" for the host's own): only these does metald delete, and an existing bridge absent from here
// (and from the operator's list for the tenant) is not metald's to use.
export const hostBridges = `
CREATE TABLE host_bridges (
  host_id    text NOT NULL,
  scope      text NOT NULL,
  name       text NOT NULL,
  tenant_id  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id, scope, name)
);
`;
