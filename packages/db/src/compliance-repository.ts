// Compliance status per VM and per tenant, and the violations found: open and resolved. Writes
// come in batches (one transaction, a handful of statements whatever the batch size: see
// compliance-bulk-write.ts), so that re-evaluating every VM of the host after a tenant-layer
// change stays one round of writes; the engine's inputs are read lean, a page at a time.
import {
  type ComplianceStateName,
  type ComplianceWriteOptions,
  type ComplianceWriteResult,
  type TenantComplianceRecord,
  type TenantRow,
  toTenant,
  type ViolationRecord,
  type VmComplianceWrite,
  writeComplianceBatch,
} from "./compliance-bulk-write.js";
import type { SqlClient } from "./sql-client.js";

export type {
  ComplianceStateName,
  ComplianceWriteOptions,
  ComplianceWriteResult,
  ComplianceWriteTimings,
  NewViolation,
  ResolvedKey,
  ResolvedViolationRecord,
  TenantComplianceRecord,
  ViolationRecord,
  VmComplianceWrite,
} from "./compliance-bulk-write.js";

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

/**
 * What the compliance engine reads of a VM, and only that: its state, configuration version,
 * profile and compliance block, and its stored effective policies as their JSON text (VMs of one
 * profile share one text, which the caller parses once).
 */
export interface ComplianceInputRow {
  vmId: string;
  tenantId: string;
  state: string;
  configVersion: number;
  profile: string;
  frameworks: string[];
  dataResidency: string;
  effective: string;
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
  /**
   * The engine's inputs of these VMs (those that exist, in any state), or of a page of every VM
   * in id order (keyset paging).
   */
  inputs(
    filter: { vmIds: readonly string[] } | { afterId?: string; limit: number },
  ): Promise<ComplianceInputRow[]>;
  /** The stored status and the open violations ("framework requirement") of these VMs. */
  load(
    vmIds: readonly string[],
  ): Promise<Map<string, { record?: VmComplianceRecord; open: string[] }>>;
  /**
   * Stores new statuses and removes deleted VMs' (closing their violations as vm_deleted), then
   * recomputes the status of every tenant concerned and stores the events of what was opened
   * and resolved, all in one transaction.
   */
  write(
    changes: readonly VmComplianceWrite[],
    removed: readonly string[],
    at: Date,
    options?: ComplianceWriteOptions,
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
  findings: string;
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
  findings: JSON.parse(r.findings) as unknown[],
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

const VIOLATION_COLUMNS = `id, vm_id, tenant_id, framework, requirement, outcome, severity, detail,
  opened_at, opened_config_version, resolved_at, resolved_config_version, resolution`;

// Findings as text, parsed here: PGlite's own JSON parsing of thousands of them costs several
// times as much.
const VM_COLUMNS = `vm_id, tenant_id, status, since, evaluated_at, config_version, frameworks,
  findings::text AS findings`;

interface InputRow {
  id: string;
  tenant_id: string;
  state: string;
  config_version: number;
  profile: string | null;
  frameworks: string[] | null;
  data_residency: string | null;
  effective: string;
}

const SELECT_INPUTS = `
SELECT v.id, v.tenant_id, v.state, v.config_version, c.spec->>'profile' AS profile,
  c.spec->'compliance'->'frameworks' AS frameworks,
  c.spec->'compliance'->>'dataResidency' AS data_residency, c.effective::text AS effective
FROM vms v JOIN vm_config_versions c ON c.vm_id = v.id AND c.version = v.config_version`;

const toInput = (r: InputRow): ComplianceInputRow => ({
  vmId: r.id,
  tenantId: r.tenant_id,
  state: r.state,
  configVersion: Number(r.config_version),
  profile: r.profile ?? "",
  frameworks: r.frameworks ?? [],
  dataResidency: r.data_residency ?? "",
  effective: r.effective,
});

export interface ComplianceRepositoryOptions {
  /**
   * The host whose VMs this repository evaluates (a fleet shares one database; each host judges
   * its own VMs against its own kernel). Undefined: every VM.
   */
  hostId?: string;
}

export function createComplianceRepository(
  db: SqlClient,
  options: ComplianceRepositoryOptions = {},
): ComplianceRepository {
  const hostId = options.hostId ?? null;
  return {
    async inputs(filter) {
      const { rows } =
        "vmIds" in filter
          ? await db.query<InputRow>(`${SELECT_INPUTS} WHERE v.id = ANY($1::text[])`, [
              [...filter.vmIds],
            ])
          : await db.query<InputRow>(
              `${SELECT_INPUTS} WHERE ($1::text IS NULL OR v.id > $1)
                 AND ($3::text IS NULL OR v.host_id = $3) ORDER BY v.id LIMIT $2`,
              [filter.afterId ?? null, filter.limit, hostId],
            );
      return rows.map(toInput);
    },

    async load(vmIds) {
      const result = new Map<string, { record?: VmComplianceRecord; open: string[] }>(
        vmIds.map((id) => [id, { open: [] }]),
      );
      if (vmIds.length === 0) return result;
      const ids = [...vmIds];
      const [statuses, open] = await Promise.all([
        db.query<VmRow>(
          `SELECT ${VM_COLUMNS} FROM compliance_vm_status WHERE vm_id = ANY($1::text[])`,
          [ids],
        ),
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

    async write(changes, removed, at, options = {}) {
      if (changes.length === 0 && removed.length === 0 && (options.evaluated ?? []).length === 0)
        return {
          opened: [],
          resolved: [],
          tenants: [],
          events: [],
          timings: { statusesMs: 0, violationsMs: 0, tenantsMs: 0, eventsMs: 0 },
        };
      return db.transaction((tx) => writeComplianceBatch(tx, changes, removed, at, options));
    },

    async vmStatus(vmId) {
      const { rows } = await db.query<VmRow>(
        `SELECT ${VM_COLUMNS} FROM compliance_vm_status WHERE vm_id = $1`,
        [vmId],
      );
      return rows[0] && toVm(rows[0]);
    },

    async vmStatuses(filter) {
      const { rows } = await db.query<VmRow>(
        `SELECT ${VM_COLUMNS} FROM compliance_vm_status WHERE ($1::text IS NULL OR tenant_id = $1)
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
      // This host's VMs, and statuses whose VM is gone (any host may close those).
      const { rows } = await db.query<{ vm_id: string }>(
        `SELECT s.vm_id FROM compliance_vm_status s LEFT JOIN vms v ON v.id = s.vm_id
          WHERE $1::text IS NULL OR v.id IS NULL OR v.host_id = $1`,
        [hostId],
      );
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
