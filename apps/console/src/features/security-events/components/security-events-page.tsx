// The security events page: events live as they happen, the stored history and grouped counts
// within the filters (kept in the address), and one event in full.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { SecurityEvent } from "@metald/proto";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useMemo, useState } from "react";
import { PageHeader } from "../../../shared/ui/page-header";
import { useCaller } from "../../auth/api/get-host-info";
import { useTenantIds } from "../../vms/api/list-tenant-ids";
import { EventCountsSection } from "./event-counts-section";
import { EventHistorySection } from "./event-history-section";
import { severityOfName } from "./event-severity";
import { LiveEventsSection } from "./live-events-section";
import { SecurityEventDetail } from "./security-event-detail";
import {
  DEFAULT_RANGE,
  SecurityEventFilterBar,
  type SecurityEventFilters,
  TIME_RANGES,
} from "./security-event-filters";

export function SecurityEventsPage() {
  const search = useSearch({ strict: false }) as Partial<SecurityEventFilters>;
  const navigate = useNavigate();
  const caller = useCaller();
  const tenantIds = useTenantIds(caller.isOperator || caller.isAuditor);
  const filters: SecurityEventFilters = {
    tenant: search.tenant ?? "",
    vm: search.vm ?? "",
    type: search.type ?? "",
    severity: search.severity ?? "",
    range: search.range && TIME_RANGES[search.range] ? search.range : DEFAULT_RANGE,
  };
  const [selected, setSelected] = useState<SecurityEvent>();
  // The range starts when it is chosen; the history's Refresh button reads newer events.
  const rangeMs = TIME_RANGES[filters.range]?.ms ?? 3_600_000;
  const start = useMemo(() => timestampFromDate(new Date(Date.now() - rangeMs)), [rangeMs]);
  const historyInput = {
    customerId: filters.tenant,
    vmId: filters.vm,
    eventType: filters.type,
    severity: severityOfName(filters.severity),
    start,
  };
  const change = (next: Partial<SecurityEventFilters>) => {
    const f = { ...filters, ...next };
    navigate({
      to: "/events",
      search: {
        ...(f.tenant && { tenant: f.tenant }),
        ...(f.vm && { vm: f.vm }),
        ...(f.type && { type: f.type }),
        ...(f.severity && { severity: f.severity }),
        ...(f.range !== DEFAULT_RANGE && { range: f.range }),
      },
      replace: true,
    });
  };
  return (
    <>
      <PageHeader
        title="Security events"
        subtitle={caller.tenantId ? `Tenant ${caller.tenantId}` : "Every tenant on this host"}
      />
      <div className="stack">
        <section className="card" aria-label="Filters">
          <SecurityEventFilterBar
            filters={filters}
            onChange={change}
            tenantIds={caller.tenantId ? undefined : tenantIds}
          />
        </section>
        {selected && (
          <SecurityEventDetail event={selected} onClose={() => setSelected(undefined)} />
        )}
        <LiveEventsSection
          filters={filters}
          selectedId={selected?.eventId}
          onSelect={setSelected}
        />
        <EventCountsSection input={{ customerId: filters.tenant, startTime: start }} />
        <EventHistorySection
          input={historyInput}
          filtered={Boolean(filters.tenant || filters.vm || filters.type || filters.severity)}
          selectedId={selected?.eventId}
          onSelect={setSelected}
        />
      </div>
    </>
  );
}
