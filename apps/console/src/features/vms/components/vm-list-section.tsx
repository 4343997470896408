// A filterable, paged list of VMs (ListVms): by state and, for operators, by tenant. Pages are
// walked with the server's page tokens; the filters start again from the first page.
import { VmState } from "@metald/proto";
import { useState } from "react";
import { Button } from "../../../shared/ui/button";
import { SelectField } from "../../../shared/ui/field";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { useTenantIds } from "../api/list-tenant-ids";
import { useListVms } from "../api/list-vms";
import { VM_STATES } from "./vm-state-badge";
import { VmTable } from "./vm-table";

export const VM_PAGE_SIZE = 25;

export interface VmFilters {
  /** A VmState name ("RUNNING"); empty: any. */
  state: string;
  /** Empty: every tenant the caller may see. */
  tenant: string;
}

export function VmListSection({
  filters,
  onFiltersChange,
  fixedTenant,
  canChooseTenant,
  title = "VMs",
}: {
  filters: VmFilters;
  onFiltersChange?: (filters: VmFilters) => void;
  /** Shows one tenant's VMs only (the tenant page). */
  fixedTenant?: string;
  canChooseTenant: boolean;
  title?: string;
}) {
  // Tokens of the pages before this one; the last is the current page's.
  const [tokens, setTokens] = useState<string[]>([""]);
  const pageToken = tokens[tokens.length - 1] ?? "";
  const tenantId = fixedTenant ?? filters.tenant;
  const state = VmState[filters.state as keyof typeof VmState] ?? VmState.UNSPECIFIED;
  const query = useListVms({ tenantId, state, pageSize: VM_PAGE_SIZE, pageToken });
  const tenantIds = useTenantIds(canChooseTenant && fixedTenant === undefined);
  const change = (next: Partial<VmFilters>) => {
    setTokens([""]);
    onFiltersChange?.({ ...filters, ...next });
  };

  const page = tokens.length;
  const total = query.data?.totalCount ?? 0;
  const first = (page - 1) * VM_PAGE_SIZE + 1;
  const last = first + (query.data?.vms.length ?? 0) - 1;
  return (
    <section className="card" aria-labelledby="vm-list-title">
      <h2 id="vm-list-title">{title}</h2>
      <div className="toolbar">
        <SelectField
          label="State"
          value={filters.state}
          onChange={(e) => change({ state: e.target.value })}
        >
          <option value="">Any state</option>
          {VM_STATES.map((s) => (
            <option key={s.name} value={s.name}>
              {s.label}
            </option>
          ))}
        </SelectField>
        {canChooseTenant && fixedTenant === undefined && (
          <SelectField
            label="Tenant"
            value={filters.tenant}
            onChange={(e) => change({ tenant: e.target.value })}
          >
            <option value="">All tenants</option>
            {[...new Set([...tenantIds, ...(filters.tenant ? [filters.tenant] : [])])].map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </SelectField>
        )}
      </div>
      <div className="stack">
        {query.isPending ? (
          <LoadingState label="Loading VMs…" />
        ) : query.isError ? (
          <ErrorState
            title="Could not list the VMs"
            error={query.error}
            onRetry={() => query.refetch()}
          />
        ) : query.data.vms.length === 0 ? (
          <EmptyState
            title={
              filters.state || (filters.tenant && !fixedTenant)
                ? "No VM matches these filters."
                : "No VMs yet."
            }
          />
        ) : (
          <>
            <VmTable vms={query.data.vms} caption={title} showTenant={fixedTenant === undefined} />
            <nav className="pager" aria-label="VM pages">
              <Button
                onClick={() => setTokens((t) => t.slice(0, -1))}
                disabled={page === 1 || query.isPlaceholderData}
              >
                Previous page
              </Button>
              <Button
                onClick={() => setTokens((t) => [...t, query.data.nextPageToken])}
                disabled={query.data.nextPageToken === "" || query.isPlaceholderData}
              >
                Next page
              </Button>
              <span role="status">
                {query.isPlaceholderData ? "Loading…" : `VMs ${first}–${last} of ${total}`}
              </span>
            </nav>
          </>
        )}
      </div>
    </section>
  );
}
