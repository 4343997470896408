// The events page's filters: tenant (operators), VM, type, severity and time range. Choices apply
// at once; the VM field applies on Enter or when it loses focus.
import { useEffect, useState } from "react";
import { SelectField, TextField } from "../../../shared/ui/field";
import { EVENT_SEVERITIES, eventTypeLabel } from "./event-severity";

export interface SecurityEventFilters {
  tenant: string;
  vm: string;
  type: string;
  /** An EventSeverity name ("CRITICAL"); empty: any. */
  severity: string;
  /** A key of TIME_RANGES. */
  range: string;
}

export const TIME_RANGES: Record<string, { label: string; ms: number }> = {
  "15m": { label: "Last 15 minutes", ms: 15 * 60_000 },
  "1h": { label: "Last hour", ms: 60 * 60_000 },
  "24h": { label: "Last 24 hours", ms: 24 * 60 * 60_000 },
  "7d": { label: "Last 7 days", ms: 7 * 24 * 60 * 60_000 },
};
export const DEFAULT_RANGE = "1h";

/** The event types metald raises (docs/security-events.md). */
export const EVENT_TYPES = [
  "ra_guard_block",
  "source_spoofing",
  "nd_spoofing",
  "source_validation_failure",
  "extension_header_block",
  "rate_limit_exceeded",
  "nd_rate_limit_exceeded",
  "policy_block",
  "inter_tenant_block",
  "quarantine_block",
  "config_change",
  "vm_quarantined",
  "vm_released",
  "reconcile_repair",
  "monitoring_enhanced",
  "compliance_violation",
  "compliance_restored",
] as const;

export function SecurityEventFilterBar({
  filters,
  onChange,
  tenantIds,
}: {
  filters: SecurityEventFilters;
  onChange: (next: Partial<SecurityEventFilters>) => void;
  /** Undefined: the caller cannot choose (a tenant token). */
  tenantIds: string[] | undefined;
}) {
  const [vm, setVm] = useState(filters.vm);
  useEffect(() => setVm(filters.vm), [filters.vm]);
  const types = [...new Set([...EVENT_TYPES, ...(filters.type ? [filters.type] : [])])];
  return (
    <form
      className="toolbar"
      aria-label="Event filters"
      onSubmit={(e) => {
        e.preventDefault();
        onChange({ vm: vm.trim() });
      }}
    >
      {tenantIds && (
        <SelectField
          label="Tenant"
          value={filters.tenant}
          onChange={(e) => onChange({ tenant: e.target.value })}
        >
          <option value="">All tenants</option>
          {[...new Set([...tenantIds, ...(filters.tenant ? [filters.tenant] : [])])].map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </SelectField>
      )}
      <TextField
        label="VM"
        value={vm}
        placeholder="Any VM"
        onChange={(e) => setVm(e.target.value)}
        onBlur={() => vm.trim() !== filters.vm && onChange({ vm: vm.trim() })}
      />
      <SelectField
        label="Type"
        value={filters.type}
        onChange={(e) => onChange({ type: e.target.value })}
      >
        <option value="">Any type</option>
        {types.map((t) => (
          <option key={t} value={t}>
            {eventTypeLabel(t)}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Severity"
        value={filters.severity}
        onChange={(e) => onChange({ severity: e.target.value })}
      >
        <option value="">Any severity</option>
        {EVENT_SEVERITIES.map((s) => (
          <option key={s.name} value={s.name}>
            {s.label}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Time range"
        value={filters.range}
        onChange={(e) => onChange({ range: e.target.value })}
      >
        {Object.entries(TIME_RANGES).map(([key, r]) => (
          <option key={key} value={key}>
            {r.label}
          </option>
        ))}
      </SelectField>
      {/* Enter in the VM field submits; the button makes that visible. */}
      <button type="submit" className="button button--secondary">
        Apply
      </button>
    </form>
  );
}
