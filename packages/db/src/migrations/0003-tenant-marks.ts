// A small number per tenant, unique on the host: the packet mark that keeps tenants apart when
// their VMs share a bridge.
export const tenantMarks = `
CREATE SEQUENCE tenant_marks START 1;
ALTER TABLE tenants ADD COLUMN mark bigint NOT NULL DEFAULT nextval('tenant_marks');
CREATE UNIQUE INDEX tenants_mark_idx ON tenants (mark);
`;
