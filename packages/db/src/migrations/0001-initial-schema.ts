// VMs and their config history, tenants, IPv6 pools and allocations, security events, audit.
export const initialSchema = `
CREATE TABLE tenants (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  tier         text NOT NULL DEFAULT 'standard',
  vlan_id      integer,
  ipv6_prefix  text,
  bridge_name  text,
  network_namespace text,
  defaults     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE vms (
  id               text PRIMARY KEY,
  tenant_id        text NOT NULL REFERENCES tenants (id),
  host_id          text NOT NULL,
  state            text NOT NULL,
  isolated         boolean NOT NULL DEFAULT false,
  application_tier text NOT NULL DEFAULT '',
  config_version   integer NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX vms_tenant_idx ON vms (tenant_id, id);

-- Every version of a VM's desired configuration: the submitted config (canonical addresses),
-- the normalized spec and the effective policy it resolved to. Stored as json, not jsonb:
-- these documents are written once and read whole, never queried inside.
CREATE TABLE vm_config_versions (
  vm_id      text NOT NULL REFERENCES vms (id),
  version    integer NOT NULL,
  config     json NOT NULL,
  spec       json NOT NULL,
  effective  json NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (vm_id, version)
);

CREATE TABLE ipv6_pools (
  id          text PRIMARY KEY,
  prefix      text NOT NULL,
  description text NOT NULL DEFAULT '',
  tenant_id   text REFERENCES tenants (id),
  rate_limit  integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per address in use on this host; the primary key is what makes an address
-- impossible to hand out twice. vm_id is NULL once the VM is gone (a leaked allocation).
CREATE TABLE ipv6_allocations (
  address      text PRIMARY KEY,
  prefix_length integer NOT NULL,
  pool_id      text REFERENCES ipv6_pools (id),
  vm_id        text REFERENCES vms (id) ON DELETE SET NULL,
  interface_id text NOT NULL DEFAULT '',
  allocated_at timestamptz NOT NULL
);
CREATE INDEX ipv6_allocations_vm_idx ON ipv6_allocations (vm_id);
CREATE INDEX ipv6_allocations_pool_idx ON ipv6_allocations (pool_id);

CREATE TABLE security_events (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  occurred_at timestamptz NOT NULL,
  vm_id       text,
  tenant_id   text,
  event_type  text NOT NULL,
  severity    text NOT NULL,
  source_ip   text,
  description text NOT NULL DEFAULT '',
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  count       bigint NOT NULL DEFAULT 1
);
CREATE INDEX security_events_time_idx ON security_events (occurred_at);
CREATE INDEX security_events_tenant_idx ON security_events (tenant_id, occurred_at);
CREATE INDEX security_events_vm_idx ON security_events (vm_id, occurred_at);

CREATE TABLE audit_records (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  occurred_at timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  tenant_id   text,
  vm_id       text,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_records_vm_idx ON audit_records (vm_id);
`;
