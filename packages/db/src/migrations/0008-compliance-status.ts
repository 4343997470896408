// Compliance: each VM's and each tenant's current status with since when it holds, and every
// violation found, open (resolved_at NULL) or resolved, with the configuration version of each
// end. No foreign key to vms: a VM discarded after a failed create still closes its violations.
export const complianceStatus = `
CREATE TABLE compliance_vm_status (
  vm_id          text PRIMARY KEY,
  tenant_id      text NOT NULL,
  status         text NOT NULL,
  since          timestamptz NOT NULL,
  evaluated_at   timestamptz NOT NULL,
  config_version integer,
  frameworks     jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- Every requirement's outcome with since when and the version then, as tuples (see
  -- packFindings in @metald/core); written and read whole.
  findings       json NOT NULL
);
CREATE INDEX compliance_vm_status_tenant_idx ON compliance_vm_status (tenant_id, status);

CREATE TABLE compliance_tenant_status (
  tenant_id         text PRIMARY KEY,
  status            text NOT NULL,
  since             timestamptz NOT NULL,
  evaluated_at      timestamptz NOT NULL,
  vms_checked       integer NOT NULL,
  vms_non_compliant integer NOT NULL,
  vms_pending_audit integer NOT NULL
);

CREATE TABLE compliance_violations (
  id                      bigserial PRIMARY KEY,
  vm_id                   text NOT NULL,
  tenant_id               text NOT NULL,
  framework               text NOT NULL,
  requirement             text NOT NULL,
  outcome                 text NOT NULL,
  severity                text NOT NULL,
  detail                  text NOT NULL,
  opened_at               timestamptz NOT NULL,
  opened_config_version   integer,
  resolved_at             timestamptz,
  resolved_config_version integer,
  resolution              text
);
-- At most one open violation per VM and requirement: the insert skips one that is open (found
-- through the VM index); a unique index on open ones would triple the cost of opening them,
-- which a reload may do thousands of times.
CREATE INDEX compliance_violations_tenant_idx ON compliance_violations (tenant_id, id);
CREATE INDEX compliance_violations_vm_idx ON compliance_violations (vm_id, id);
`;
