// Compliance status per VM and per tenant, and the violations found: open and resolved. Writes
// come in batches (one transaction, a handful of statements whatever the batch size), so that
// re-evaluating every VM of the host after a tenant-layer change stays one round of writes.
import type { SqlClient, SqlExecutor } from "./sql-client.js";

export type ComplianceStateName = "COMPLIANT" | "NON_COMPLIANT" | "PENDING_AUDIT";

export interface VmComplianceRecord {
  vmId: string;
  tenantId: string;
  status: ComplianceStateName;
  since: Date;
  evaluatedAt: Date;
  configVersion: number | null;
  frameworks: string[];
  /** The engine's dated findings, stored whole (packed by the caller). */
  findings: unknown[];
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

/** A violation a write resolved (without its detail: returning it costs more than it tells). */
export type ResolvedViolationRecord = Omit<ViolationRecord, "detail">;

export interface ComplianceWriteResult {
  opened: ViolationRecord[];
  resolved: ResolvedViolationRecord[];
  tenants: TenantComplianceRecord[];
}

export interface ViolationFilter {
  tenantId?: string;
  vmId?: string;
  framework?: string;
  /** Open ones only unless true. */
  includeResolved?: boolean;
  /** Violations open at some time in [activeFrom, activeTo]. */
  activeFrom?: Date;
  activeTo?: Date;
  /** Ids below this one (keyset paging, newest first). */
  beforeId?: string;
  limit: number;
}

/** The configuration version of a VM and the audit record of the change that stored it. */
export interface ConfigChange {
  vmId: string;
  version: number;
  at: Date;
  actor: string | null;
  action: string | null;
  auditId: string | null;
}

export interface ComplianceRepository {
  /** The stored status and the open violations ("framework requirement") of these VMs. */
  load(
    vmIds: readonly string[],
  ): Promise<Map<string, { record?: VmComplianceRecord; open: string[] }>>;
  /**
   * Stores new statuses and removes deleted VMs' (closing their violations as vm_deleted), in one
   * transaction; `evaluated` VMs were evaluated again without a change (only the time is
   * stored). Then recomputes the status of every tenant concerned.
   */
  write(
    changes: readonly VmComplianceWrite[],
    removed: readonly string[],
    at: Date,
    evaluated?: readonly { vmId: string; tenantId: string }[],
  ): Promise<ComplianceWriteResult>;
  vmStatus(vmId: string): Promise<VmComplianceRecord | undefined>;
  /** Every VM status of a tenant (or of the host), in VM id order. */
  vmStatuses(filter: { tenantId?: string }): Promise<VmComplianceRecord[]>;
  tenantStatus(tenantId: string): Promise<TenantComplianceRecord | undefined>;
  tenantStatuses(filter: { tenantId?: string }): Promise<TenantComplianceRecord[]>;
  /** VM ids with a stored status (to find those of VMs that no longer exist). */
  vmIds(): Promise<string[]>;
  listViolations(filter: ViolationFilter): Promise<ViolationRecord[]>;
  openViolationCounts(): Promise<{ framework: string; requirement: string; count: number }[]>;
  configChanges(keys: readonly { vmId: string; version: number }[]): Promise<ConfigChange[]>;
}

interface VmRow {
  vm_id: string;
  tenant_id: string;
  status: ComplianceStateName;
  since: string;
  evaluated_at: string;
  config_version: number | null;
  frameworks: string[];
  findings: unknown[];
}

interface TenantRow {
  tenant_id: string;
  status: ComplianceStateName;
  since: string;
  evaluated_at: string;
  vms_checked: number;
  vms_non_compliant: number;
  vms_pending_audit: number;
}

interface ViolationRow {
  id: string;
  vm_id: string;
  tenant_id: string;
  framework: string;
  requirement: string;
  outcome: string;
  severity: string;
  detail: string;
  opened_at: string;
  opened_config_version: number | null;
  resolved_at: string | null;
  resolved_config_version: number | null;
  resolution: string | null;
}

const nullableNumber = (v: number | string | null) => (v === null ? null : Number(v));

const toVm = (r: VmRow): VmComplianceRecord => ({
  vmId: r.vm_id,
  tenantId: r.tenant_id,
  status: r.status,
  since: new Date(r.since),
  evaluatedAt: new Date(r.evaluated_at),
  configVersion: nullableNumber(r.config_version),
  frameworks: r.frameworks,
  findings: r.findings,
});

const toTenant = (r: TenantRow): TenantComplianceRecord => ({
  tenantId: r.tenant_id,
  status: r.status,
  since: new Date(r.since),
  evaluatedAt: new Date(r.evaluated_at),
  vmsChecked: Number(r.vms_checked),
  vmsNonCompliant: Number(r.vms_non_compliant),
  vmsPendingAudit: Number(r.vms_pending_audit),
});

const toViolation = (r: ViolationRow): ViolationRecord => ({
  id: String(r.id),
  vmId: r.vm_id,
  tenantId: r.tenant_id,
  framework: r.framework,
  requirement: r.requirement,
  outcome: r.outcome,
  severity: r.severity,
  detail: r.detail,
  openedAt: new Date(r.opened_at),
  openedConfigVersion: nullableNumber(r.opened_config_version),
  resolvedAt: r.resolved_at === null ? null : new Date(r.resolved_at),
  resolvedConfigVersion: nullableNumber(r.resolved_config_version),
  resolution: r.resolution,
});

const toResolved = (r: Omit<ViolationRow, "detail">): ResolvedViolationRecord => {
  const { detail: _, ...rest } = toViolation({ ...r, detail: "" });
  return rest;
};

const violationColumns = (table = "") =>
  [
    "id",
    "vm_id",
    "tenant_id",
    "framework",
    "requirement",
    "outcome",
    "severity",
    "detail",
    "opened_at",
    "opened_config_version",
    "resolved_at",
    "resolved_config_version",
    "resolution",
  ]
    .map((c) => `${table}${c}`)
    .join(", ");
const VIOLATION_COLUMNS = violationColumns();
const RESOLVED_COLUMNS = (table = "") =>
  violationColumns(table)
    .split(", ")
    .filter((c) => !c.endsWith("detail"))
    .join(", ");

const UPSERT_STATUS = `
INSERT INTO compliance_vm_status
  (vm_id, tenant_id, status, since, evaluated_at, config_version, frameworks, findings)
SELECT s.vm_id, s.tenant_id, s.status, s.since, $2, s.config_version, s.frameworks, s.findings
FROM json_to_recordset($1::json) AS s (vm_id text, tenant_id text, status text,
  since timestamptz, config_version integer, frameworks jsonb, findings json)
ON CONFLICT (vm_id) DO UPDATE SET
  tenant_id = EXCLUDED.tenant_id, status = EXCLUDED.status, since = EXCLUDED.since,
  evaluated_at = EXCLUDED.evaluated_at, config_version = EXCLUDED.config_version,
  frameworks = EXCLUDED.frameworks, findings = EXCLUDED.findings`;

const RESOLVE = `
UPDATE compliance_violations v
SET resolved_at = $2, resolved_config_version = r.config_version, resolution = r.resolution
FROM json_to_recordset($1::json) AS r (vm_id text, framework text, requirement text,
  resolution text, config_version integer)
WHERE v.vm_id = r.vm_id AND v.framework = r.framework AND v.requirement = r.requirement
  AND v.resolved_at IS NULL
RETURNING ${RESOLVED_COLUMNS("v.")}`;

const OPEN = `
INSERT INTO compliance_violations
  (vm_id, tenant_id, framework, requirement, outcome, severity, detail, opened_at,
   opened_config_version)
SELECT o.vm_id, o.tenant_id, o.framework, o.requirement, o.outcome, o.severity, o.detail, $2,
  o.config_version
FROM json_to_recordset($1::json) AS o (vm_id text, tenant_id text, framework text,
  requirement text, outcome text, severity text, detail text, config_version integer)
WHERE NOT EXISTS (
  SELECT 1 FROM compliance_violations v
  WHERE v.vm_id = o.vm_id AND v.framework = o.framework AND v.requirement = o.requirement
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

async function writeAll(
  tx: SqlExecutor,
  changes: readonly VmComplianceWrite[],
  removed: readonly string[],
  at: string,
  evaluated: readonly { vmId: string; tenantId: string }[],
): Promise<ComplianceWriteResult> {
  const tenants = new Set([...changes, ...evaluated].map((c) => c.tenantId));
  if (evaluated.length > 0)
    await tx.query(
      "UPDATE compliance_vm_status SET evaluated_at = $2 WHERE vm_id = ANY($1::text[])",
      [evaluated.map((e) => e.vmId), at],
    );
  const resolved: ResolvedViolationRecord[] = [];
  const opened: ViolationRecord[] = [];
  if (removed.length > 0) {
    const gone = await tx.query<{ tenant_id: string }>(
      "DELETE FROM compliance_vm_status WHERE vm_id = ANY($1::text[]) RETURNING tenant_id",
      [removed],
    );
    for (const r of gone.rows) tenants.add(r.tenant_id);
    const closed = await tx.query<Omit<ViolationRow, "detail">>(
      `UPDATE compliance_violations SET resolved_at = $2, resolution = 'vm_deleted'
       WHERE vm_id = ANY($1::text[]) AND resolved_at IS NULL RETURNING ${RESOLVED_COLUMNS()}`,
      [removed, at],
    );
    for (const r of closed.rows) tenants.add(r.tenant_id);
    resolved.push(...closed.rows.map(toResolved));
  }
  if (changes.length > 0) {
    await tx.query(UPSERT_STATUS, [
      JSON.stringify(
        changes.map((c) => ({
          vm_id: c.vmId,
          tenant_id: c.tenantId,
          status: c.status,
          since: c.since.toISOString(),
          config_version: c.configVersion,
          frameworks: c.frameworks,
          findings: c.findings,
        })),
      ),
      at,
    ]);
    const toResolve = changes.flatMap((c) =>
      c.resolved.map((r) => ({
        vm_id: c.vmId,
        framework: r.framework,
        requirement: r.requirement,
        resolution: r.resolution,
        config_version: c.configVersion,
      })),
    );
    if (toResolve.length > 0) {
      const { rows } = await tx.query<Omit<ViolationRow, "detail">>(RESOLVE, [
        JSON.stringify(toResolve),
        at,
      ]);
      resolved.push(...rows.map(toResolved));
    }
    const toOpen = changes.flatMap((c) =>
      c.opened.map((o) => ({
        vm_id: c.vmId,
        tenant_id: c.tenantId,
        framework: o.framework,
        requirement: o.requirement,
        outcome: o.outcome,
        severity: o.severity,
        detail: o.detail,
        config_version: c.configVersion,
      })),
    );
    if (toOpen.length > 0) {
      // Only the keys come back (returning whole rows costs more than the insert): the rest is
      // what was sent.
      const { rows } = await tx.query<{
        id: string;
        vm_id: string;
        framework: string;
        requirement: string;
      }>(OPEN, [JSON.stringify(toOpen), at]);
      const sent = new Map(toOpen.map((o) => [`${o.vm_id} ${o.framework} ${o.requirement}`, o]));
      for (const r of rows) {
        const o = sent.get(`${r.vm_id} ${r.framework} ${r.requirement}`);
        if (!o) continue;
        opened.push(
          toViolation({
            ...o,
            id: r.id,
            opened_at: at,
            opened_config_version: o.config_version,
            resolved_at: null,
            resolved_config_version: null,
            resolution: null,
          }),
        );
      }
    }
  }
  const { rows } =
    tenants.size > 0
      ? await tx.query<TenantRow>(TENANTS, [[...tenants], at])
      : { rows: [] as TenantRow[] };
  return { opened, resolved, tenants: rows.map(toTenant) };
}

export function createComplianceRepository(db: SqlClient): ComplianceRepository {
  return {
    async load(vmIds) {
      const result = new Map<string, { record?: VmComplianceRecord; open: string[] }>(
        vmIds.map((id) => [id, { open: [] }]),
      );
      if (vmIds.length === 0) return result;
      const ids = [...vmIds];
      const [statuses, open] = await Promise.all([
        db.query<VmRow>("SELECT * FROM compliance_vm_status WHERE vm_id = ANY($1::text[])", [ids]),
        db.query<{ vm_id: string; framework: string; requirement: string }>(
          `SELECT vm_id, framework, requirement FROM compliance_violations
           WHERE vm_id = ANY($1::text[]) AND resolved_at IS NULL`,
          [ids],
        ),
      ]);
      for (const row of statuses.rows) {
        const entry = result.get(row.vm_id);
        if (entry) entry.record = toVm(row);
      }
      for (const row of open.rows)
        result.get(row.vm_id)?.open.push(`${row.framework} ${row.requirement}`);
      return result;
    },

    async write(changes, removed, at, evaluated = []) {
      if (changes.length === 0 && removed.length === 0 && evaluated.length === 0)
        return { opened: [], resolved: [], tenants: [] };
      return db.transaction((tx) => writeAll(tx, changes, removed, at.toISOString(), evaluated));
    },

    async vmStatus(vmId) {
      const { rows } = await db.query<VmRow>(
        "SELECT * FROM compliance_vm_status WHERE vm_id = $1",
        [vmId],
      );
      return rows[0] && toVm(rows[0]);
    },

    async vmStatuses(filter) {
      const { rows } = await db.query<VmRow>(
        `SELECT * FROM compliance_vm_status WHERE ($1::text IS NULL OR tenant_id = $1)
         ORDER BY vm_id`,
        [filter.tenantId ?? null],
      );
      return rows.map(toVm);
    },

    async tenantStatus(tenantId) {
      const { rows } = await db.query<TenantRow>(
        "SELECT * FROM compliance_tenant_status WHERE tenant_id = $1",
        [tenantId],
      );
      return rows[0] && toTenant(rows[0]);
    },

    async tenantStatuses(filter) {
      const { rows } = await db.query<TenantRow>(
        `SELECT * FROM compliance_tenant_status WHERE ($1::text IS NULL OR tenant_id = $1)
         ORDER BY tenant_id`,
        [filter.tenantId ?? null],
      );
      return rows.map(toTenant);
    },

    async vmIds() {
      const { rows } = await db.query<{ vm_id: string }>("SELECT vm_id FROM compliance_vm_status");
      return rows.map((r) => r.vm_id);
    },

    async listViolations(f) {
      // Conditions spelled out only when given, so that the planner can use the partial index of
      // open violations and the tenant or VM index.
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (condition: (n: string) => string, value: unknown) => {
        params.push(value);
        where.push(condition(`$${params.length}`));
      };
      if (f.tenantId !== undefined) add((n) => `tenant_id = ${n}`, f.tenantId);
      if (f.vmId !== undefined) add((n) => `vm_id = ${n}`, f.vmId);
      if (f.framework !== undefined) add((n) => `framework = ${n}`, f.framework);
      if (f.includeResolved !== true) where.push("resolved_at IS NULL");
      if (f.activeFrom !== undefined)
        add((n) => `(resolved_at IS NULL OR resolved_at >= ${n})`, f.activeFrom.toISOString());
      if (f.activeTo !== undefined) add((n) => `opened_at <= ${n}`, f.activeTo.toISOString());
      if (f.beforeId !== undefined) add((n) => `id < ${n}::bigint`, f.beforeId);
      params.push(f.limit);
      const { rows } = await db.query<ViolationRow>(
        `SELECT ${VIOLATION_COLUMNS} FROM compliance_violations
         ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toViolation);
    },

    async openViolationCounts() {
      const { rows } = await db.query<{ framework: string; requirement: string; n: string }>(
        `SELECT framework, requirement, count(*) AS n FROM compliance_violations
         WHERE resolved_at IS NULL GROUP BY framework, requirement ORDER BY framework, requirement`,
      );
      return rows.map((r) => ({
        framework: r.framework,
        requirement: r.requirement,
        count: Number(r.n),
      }));
    },

    async configChanges(keys) {
      if (keys.length === 0) return [];
      const { rows } = await db.query<{
        vm_id: string;
        version: number;
        created_at: string;
        actor: string | null;
        action: string | null;
        audit_id: string | null;
      }>(
        `SELECT c.vm_id, c.version, c.created_at, a.actor, a.action, a.id AS audit_id
         FROM (SELECT DISTINCT vm_id, version
               FROM json_to_recordset($1::json) AS k (vm_id text, version integer)) k
         JOIN vm_config_versions c ON c.vm_id = k.vm_id AND c.version = k.version
         LEFT JOIN LATERAL (
           SELECT actor, action, id FROM audit_records r
           WHERE r.vm_id = c.vm_id AND r.occurred_at = c.created_at ORDER BY r.seq LIMIT 1
         ) a ON true`,
        [JSON.stringify(keys.map((k) => ({ vm_id: k.vmId, version: k.version })))],
      );
      return rows.map((r) => ({
        vmId: r.vm_id,
        version: Number(r.version),
        at: new Date(r.created_at),
        actor: r.actor,
        action: r.action,
        auditId: r.audit_id,
      }));
    },
  };
}
