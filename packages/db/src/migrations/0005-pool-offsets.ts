// Pools hand out addresses by offset from their prefix: next_offset is the next never-drawn one,
// taken under the pool row's lock so that concurrent allocations never draw the same.
export const poolOffsets = `
ALTER TABLE ipv6_pools ADD COLUMN next_offset numeric(39) NOT NULL DEFAULT 1;
ALTER TABLE ipv6_pools ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX ipv6_pools_tenant_idx ON ipv6_pools (tenant_id);
CREATE INDEX ipv6_allocations_time_idx ON ipv6_allocations (allocated_at);
`;
