// One batch of compliance results written set-based: each kind of row (statuses, violations
// resolved, violations opened, tenant statuses, then the security events of the violations) is
// one statement whatever the batch size. Rows travel as one array per column (unnest): a fixed
// number of parameters however many rows, and cheaper for the server to take apart than a JSON
// document (measured: json_to_recordset took longer for the same rows on both databases). The
// findings a batch opens or resolves repeat over its VMs: they travel as their distinct values
// and, per row, a place among them.

import { distinctColumn } from "./distinct-column.js";
import {
  insertSecurityEvents,
  type NewSecurityEvent,
  type StoredSecurityEvent,
} from "./security-event-repository.js";
import type { SqlExecutor } from "./sql-client.js";

export type ComplianceStateName = "COMPLIANT" | "NON_COMPLIANT" | "PENDING_AUDIT";

export interface NewViolation {
  framework: string;
  requirement: string;
  outcome: string;
  severity: string;
  detail: string;
}

export interface ViolationRecord extends NewViolation {
  id: string;
  vmId: string;
  tenantId: string;
  openedAt: Date;
  openedConfigVersion: number | null;
  resolvedAt: Date | null;
  resolvedConfigVersion: number | null;
  resolution: string | null;
}

/** A violation a write resolved (without its detail: returning it costs more than it tells). */
export type ResolvedViolationRecord = Omit<ViolationRecord, "detail">;

export interface ResolvedKey {
  framework: string;
  requirement: string;
  resolution: string;
}

/** A VM's new status, with the violations it opens and resolves. */
export interface VmComplianceWrite {
  vmId: string;
  tenantId: string;
  status: ComplianceStateName;
  since: Date;
  configVersion: number | null;
  frameworks: string[];
  findings: unknown[];
  opened: NewViolation[];
  resolved: ResolvedKey[];
}

export interface TenantComplianceRecord {
  tenantId: string;
  status: ComplianceStateName;
  since: Date;
  evaluatedAt: Date;
  vmsChecked: number;
  vmsNonCompliant: number;
  vmsPendingAudit: number;
}

/** Milliseconds spent on each kind of row (in the database and on the way there and back). */
export interface ComplianceWriteTimings {
  statusesMs: number;
  violationsMs: number;
  tenantsMs: number;
  /** Building the events (the caller's `events`) and inserting them. */
  eventsMs: number;
}

export interface ComplianceWriteResult {
  opened: ViolationRecord[];
  resolved: ResolvedViolationRecord[];
  tenants: TenantComplianceRecord[];
  /** The events stored with the write (none without `events`). */
  events: StoredSecurityEvent[];
  timings: ComplianceWriteTimings;
}

export interface ComplianceWriteOptions {
  /** VMs evaluated again without a change: only their evaluation time is stored. */
  evaluated?: readonly { vmId: string; tenantId: string }[];
  /**
   * The security events of what the write opened and resolved, stored by the same transaction
   * (last: see insertSecurityEvents), so that a violation is never kept without its event.
   */
  events?: (written: Omit<ComplianceWriteResult, "events" | "timings">) => NewSecurityEvent[];
}

export interface TenantRow {
  tenant_id: string;
  status: ComplianceStateName;
  since: string;
  evaluated_at: string;
  vms_checked: number;
  vms_non_compliant: number;
  vms_pending_audit: number;
}

export const toTenant = (r: TenantRow): TenantComplianceRecord => ({
  tenantId: r.tenant_id,
  status: r.status,
  since: new Date(r.since),
  evaluatedAt: new Date(r.evaluated_at),
  vmsChecked: Number(r.vms_checked),
  vmsNonCompliant: Number(r.vms_non_compliant),
  vmsPendingAudit: Number(r.vms_pending_audit),
});

interface ResolvedRow {
  id: string;
  vm_id: string;
  tenant_id: string;
  framework: string;
  requirement: string;
  outcome: string;
  severity: string;
  opened_at: string;
  opened_config_version: number | null;
  resolved_config_version: number | null;
  resolution: string | null;
}

const nullableNumber = (v: number | string | null) => (v === null ? null : Number(v));

const RESOLVED_COLUMNS = (t: string) =>
  `${t}id, ${t}vm_id, ${t}tenant_id, ${t}framework, ${t}requirement, ${t}outcome, ${t}severity,
   ${t}opened_at, ${t}opened_config_version, ${t}resolved_config_version, ${t}resolution`;

// VMs of the same tenant and policies evaluated by one reload mostly end in the same state
// (tenant, status, since, version, frameworks, findings): each distinct state is sent once and
// each VM names its own by place (state_k). The findings travel as one JSON array (cheaper than a
// json[] whose literal escapes every quote).
const UPSERT_STATUS = `
INSERT INTO compliance_vm_status
  (vm_id, tenant_id, status, since, evaluated_at, config_version, frameworks, findings)
SELECT s.vm_id, d.tenant_id, d.status, d.since, $8, d.config_version, d.frameworks, f.findings
FROM unnest($1::text[], $2::integer[]) AS s (vm_id, state_k)
JOIN unnest($3::text[], $4::text[], $5::timestamptz[], $6::integer[], $7::jsonb[]) WITH ORDINALITY
  AS d (tenant_id, status, since, config_version, frameworks, n) ON d.n = s.state_k
JOIN json_array_elements($9::json) WITH ORDINALITY AS f (findings, n) ON f.n = s.state_k
ON CONFLICT (vm_id) DO UPDATE SET
  tenant_id = EXCLUDED.tenant_id, status = EXCLUDED.status, since = EXCLUDED.since,
  evaluated_at = EXCLUDED.evaluated_at, config_version = EXCLUDED.config_version,
  frameworks = EXCLUDED.frameworks, findings = EXCLUDED.findings`;

// The (framework, requirement, resolution) of a batch repeat: each distinct one is sent once and
// each row names its place (see distinctColumn). What was sent is not returned: each row comes
// back as its place in the arrays (r.n) with what only the table holds.
const RESOLVE = `
UPDATE compliance_violations v
SET resolved_at = $6, resolved_config_version = r.config_version, resolution = k.resolution
FROM unnest($1::text[], $2::integer[], $3::integer[]) WITH ORDINALITY
  AS r (vm_id, config_version, key_k, n)
JOIN unnest($4::text[], $5::text[], $7::text[]) WITH ORDINALITY AS k (framework, requirement,
  resolution, n) ON k.n = r.key_k
WHERE v.vm_id = r.vm_id AND v.framework = k.framework AND v.requirement = k.requirement
  AND v.resolved_at IS NULL
RETURNING r.n, v.id, v.tenant_id, v.outcome, v.severity, v.opened_at, v.opened_config_version`;

// The insert itself keeps open violations unique per VM and requirement (found through the VM
// index); a partial unique index would triple the cost of opening thousands. Only the row's
// place in the arrays comes back: the rest is what was sent.
const OPEN = `
INSERT INTO compliance_violations
  (vm_id, tenant_id, framework, requirement, outcome, severity, detail, opened_at,
   opened_config_version)
SELECT o.vm_id, f.tenant_id, f.framework, f.requirement, f.outcome, f.severity, f.detail, $9,
  f.config_version
FROM unnest($1::text[], $2::integer[]) AS o (vm_id, finding_k)
JOIN unnest($3::text[], $4::integer[], $5::text[], $6::text[], $7::text[], $8::text[],
  $10::text[]) WITH ORDINALITY
  AS f (tenant_id, config_version, framework, requirement, outcome, severity, detail, n)
  ON f.n = o.finding_k
WHERE NOT EXISTS (
  SELECT 1 FROM compliance_violations v
  WHERE v.vm_id = o.vm_id AND v.framework = f.framework AND v.requirement = f.requirement
    AND v.resolved_at IS NULL)
RETURNING id, vm_id, framework, requirement`;

// A tenant's status from its VMs' (an indexed scan of that tenant's rows only).
const TENANTS = `
WITH affected AS (SELECT DISTINCT unnest($1::text[]) AS tenant_id),
counts AS (
  SELECT a.tenant_id, count(s.vm_id) AS checked,
    count(*) FILTER (WHERE s.status = 'NON_COMPLIANT') AS non_compliant,
    count(*) FILTER (WHERE s.status = 'PENDING_AUDIT') AS pending
  FROM affected a LEFT JOIN compliance_vm_status s ON s.tenant_id = a.tenant_id
  GROUP BY a.tenant_id
)
INSERT INTO compliance_tenant_status AS t
  (tenant_id, status, since, evaluated_at, vms_checked, vms_non_compliant, vms_pending_audit)
SELECT tenant_id,
  CASE WHEN non_compliant > 0 THEN 'NON_COMPLIANT' WHEN pending > 0 THEN 'PENDING_AUDIT'
       ELSE 'COMPLIANT' END,
  $2, $2, checked, non_compliant, pending
FROM counts
ON CONFLICT (tenant_id) DO UPDATE SET
  since = CASE WHEN t.status = EXCLUDED.status THEN t.since ELSE EXCLUDED.since END,
  status = EXCLUDED.status, evaluated_at = EXCLUDED.evaluated_at,
  vms_checked = EXCLUDED.vms_checked, vms_non_compliant = EXCLUDED.vms_non_compliant,
  vms_pending_audit = EXCLUDED.vms_pending_audit
RETURNING tenant_id, status, since, evaluated_at, vms_checked, vms_non_compliant, vms_pending_audit`;

const toResolved = (r: ResolvedRow, at: Date): ResolvedViolationRecord => ({
  id: String(r.id),
  vmId: r.vm_id,
  tenantId: r.tenant_id,
  framework: r.framework,
  requirement: r.requirement,
  outcome: r.outcome,
  severity: r.severity,
  openedAt: new Date(r.opened_at),
  openedConfigVersion: nullableNumber(r.opened_config_version),
  resolvedAt: at,
  resolvedConfigVersion: nullableNumber(r.resolved_config_version),
  resolution: r.resolution,
});

const since = (start: number) => performance.now() - start;

/** Writes one batch in the caller's transaction (see ComplianceRepository.write). */
export async function writeComplianceBatch(
  tx: SqlExecutor,
  changes: readonly VmComplianceWrite[],
  removed: readonly string[],
  atDate: Date,
  options: ComplianceWriteOptions,
): Promise<ComplianceWriteResult> {
  const at = atDate.toISOString();
  const evaluated = options.evaluated ?? [];
  const timings: ComplianceWriteTimings = {
    statusesMs: 0,
    violationsMs: 0,
    tenantsMs: 0,
    eventsMs: 0,
  };
  const tenants = new Set([...changes, ...evaluated].map((c) => c.tenantId));
  const resolved: ResolvedViolationRecord[] = [];
  const opened: ViolationRecord[] = [];
  let started = performance.now();
  if (evaluated.length > 0)
    await tx.query(
      "UPDATE compliance_vm_status SET evaluated_at = $2 WHERE vm_id = ANY($1::text[])",
      [evaluated.map((e) => e.vmId), at],
    );
  if (removed.length > 0) {
    const gone = await tx.query<{ tenant_id: string }>(
      "DELETE FROM compliance_vm_status WHERE vm_id = ANY($1::text[]) RETURNING tenant_id",
      [removed],
    );
    for (const r of gone.rows) tenants.add(r.tenant_id);
  }
  if (changes.length > 0) {
    const states = distinctColumn(
      changes,
      (c) =>
        `${c.tenantId}\0${c.status}\0${c.since.getTime()}\0${c.configVersion}\0${JSON.stringify(c.frameworks)}\0${JSON.stringify(c.findings)}`,
      (c) => c,
    );
    await tx.query(UPSERT_STATUS, [
      changes.map((c) => c.vmId),
      states.index,
      states.values.map((c) => c.tenantId),
      states.values.map((c) => c.status),
      states.values.map((c) => c.since.toISOString()),
      states.values.map((c) => c.configVersion),
      states.values.map((c) => JSON.stringify(c.frameworks)),
      at,
      `[${states.values.map((c) => JSON.stringify(c.findings)).join(",")}]`,
    ]);
  }
  timings.statusesMs = since(started);
  started = performance.now();
  if (removed.length > 0) {
    const closed = await tx.query<ResolvedRow>(
      `UPDATE compliance_violations SET resolved_at = $2, resolution = 'vm_deleted'
       WHERE vm_id = ANY($1::text[]) AND resolved_at IS NULL RETURNING ${RESOLVED_COLUMNS("")}`,
      [removed, at],
    );
    for (const r of closed.rows) tenants.add(r.tenant_id);
    for (const r of closed.rows) resolved.push(toResolved(r, atDate));
  }
  const toResolve: { c: VmComplianceWrite; r: ResolvedKey }[] = [];
  for (const c of changes) for (const r of c.resolved) toResolve.push({ c, r });
  if (toResolve.length > 0) {
    const keys = distinctColumn(
      toResolve,
      ({ r }) => `${r.framework}\0${r.requirement}\0${r.resolution}`,
      ({ r }) => r,
    );
    const { rows } = await tx.query<{
      n: string;
      id: string;
      tenant_id: string;
      outcome: string;
      severity: string;
      opened_at: string;
      opened_config_version: number | null;
    }>(RESOLVE, [
      toResolve.map(({ c }) => c.vmId),
      toResolve.map(({ c }) => c.configVersion),
      keys.index,
      keys.values.map((k) => k.framework),
      keys.values.map((k) => k.requirement),
      at,
      keys.values.map((k) => k.resolution),
    ]);
    // Violations of one batch were mostly opened together: one Date per distinct time.
    const dates = new Map<string, Date>();
    for (const row of rows) {
      const sent = toResolve[Number(row.n) - 1];
      if (sent === undefined) continue;
      let openedAt = dates.get(row.opened_at);
      if (openedAt === undefined) {
        openedAt = new Date(row.opened_at);
        dates.set(row.opened_at, openedAt);
      }
      resolved.push({
        id: String(row.id),
        vmId: sent.c.vmId,
        tenantId: row.tenant_id,
        framework: sent.r.framework,
        requirement: sent.r.requirement,
        outcome: row.outcome,
        severity: row.severity,
        openedAt,
        openedConfigVersion: nullableNumber(row.opened_config_version),
        resolvedAt: atDate,
        resolvedConfigVersion: sent.c.configVersion,
        resolution: sent.r.resolution,
      });
    }
  }
  const toOpen: { c: VmComplianceWrite; o: NewViolation }[] = [];
  for (const c of changes) for (const o of c.opened) toOpen.push({ c, o });
  if (toOpen.length > 0) {
    // A reload opens the same few findings on thousands of VMs: each distinct one (with the
    // tenant and configuration version) is sent once.
    const findings = distinctColumn(
      toOpen,
      ({ c, o }) =>
        `${c.tenantId}\0${c.configVersion}\0${o.framework}\0${o.requirement}\0${o.outcome}\0${o.severity}\0${o.detail}`,
      (row) => row,
    );
    const { rows } = await tx.query<{
      id: string;
      vm_id: string;
      framework: string;
      requirement: string;
    }>(OPEN, [
      toOpen.map(({ c }) => c.vmId),
      findings.index,
      findings.values.map(({ c }) => c.tenantId),
      findings.values.map(({ c }) => c.configVersion),
      findings.values.map(({ o }) => o.framework),
      findings.values.map(({ o }) => o.requirement),
      findings.values.map(({ o }) => o.outcome),
      findings.values.map(({ o }) => o.severity),
      at,
      findings.values.map(({ o }) => o.detail),
    ]);
    const ids = new Map<string, string>();
    for (const r of rows) ids.set(`${r.vm_id}\0${r.framework}\0${r.requirement}`, String(r.id));
    for (const { c, o } of toOpen) {
      const id = ids.get(`${c.vmId}\0${o.framework}\0${o.requirement}`);
      if (id === undefined) continue;
      opened.push({
        framework: o.framework,
        requirement: o.requirement,
        outcome: o.outcome,
        severity: o.severity,
        detail: o.detail,
        id,
        vmId: c.vmId,
        tenantId: c.tenantId,
        openedAt: atDate,
        openedConfigVersion: c.configVersion,
        resolvedAt: null,
        resolvedConfigVersion: null,
        resolution: null,
      });
    }
  }
  timings.violationsMs = since(started);
  started = performance.now();
  const { rows } =
    tenants.size > 0
      ? await tx.query<TenantRow>(TENANTS, [[...tenants], at])
      : { rows: [] as TenantRow[] };
  const written = { opened, resolved, tenants: rows.map(toTenant) };
  timings.tenantsMs = since(started);
  started = performance.now();
  const events = await insertSecurityEvents(tx, options.events?.(written) ?? []);
  timings.eventsMs = since(started);
  return { ...written, events, timings };
}
