// VM rows, their configuration versions, their address allocations, audit records and the
// control-plane events describing each change.
import { type AuditWriter, createAuditWriter } from "./audit-writer.js";
import {
  insertSecurityEvents,
  type NewSecurityEvent,
  type StoredSecurityEvent,
} from "./security-event-repository.js";
import { isUniqueViolation, type SqlClient, type SqlExecutor } from "./sql-client.js";

export type VmStateName = "CREATED" | "RUNNING" | "PAUSED" | "SHUTDOWN" | "TERMINATED" | "FAILED";

export interface AddressAllocation {
  address: string;
  prefixLength: number;
  interfaceId: string;
  /** The pool the address lies in, if any (allocated from it, or given inside it). */
  poolId?: string | null;
}

export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  /** The state before and after the change (the audit payload; encrypted when configured). */
  before?: unknown;
  after?: unknown;
  /**
   * The control-plane security event describing the change, stored in the same transaction as
   * the change and this record: a change that committed has its event, one that did not has none.
   */
  event?: NewSecurityEvent;
}

/** The control-plane events a change stored with it (none when its audit entry had none). */
export type ChangeEvents = StoredSecurityEvent[];

export interface NewVm {
  id: string;
  tenantId: string;
  hostId: string;
  state: VmStateName;
  applicationTier: string;
  config: unknown;
  spec: unknown;
  effective: unknown;
  addresses: AddressAllocation[];
  createdAt: Date;
  audit: AuditEntry;
}

export interface ConfigVersion {
  config: unknown;
  spec: unknown;
  effective: unknown;
  addresses: AddressAllocation[];
}

/** The VM's configuration changed since it was read. */
export class ConfigConflictError extends Error {
  override name = "ConfigConflictError";
}

export interface VmRecord {
  id: string;
  tenantId: string;
  hostId: string;
  state: VmStateName;
  isolated: boolean;
  applicationTier: string;
  configVersion: number;
  /** The tenant's packet mark (see migration 0003). */
  tenantMark: number;
  createdAt: Date;
  updatedAt: Date;
  config: unknown;
  spec: unknown;
  effective: unknown;
}

export interface StoredVersion {
  version: number;
  createdAt: Date;
  config: unknown;
  spec: unknown;
  effective: unknown;
}

export interface VmListFilter {
  tenantId?: string;
  state?: VmStateName;
  /** Leaves out VMs in these states (in the query: a host's live VMs without its history). */
  excludeStates?: VmStateName[];
  /** The VMs placed on one host of the fleet. */
  hostId?: string;
  /** Rows with id greater than this (keyset paging). */
  afterId?: string;
  limit: number;
}

/** An address that another VM (or an earlier request) already holds. */
export class AddressTakenError extends Error {
  override name = "AddressTakenError";
  constructor(
    readonly address: string,
    readonly holderVmId: string | null,
  ) {
    super(`${address} is already allocated${holderVmId ? ` to ${holderVmId}` : ""}`);
  }
}

/**
 * A change of a VM made by a host that no longer holds it: the VM moved to `ownerHostId`
 * (MigrateVm) after the change read it. Nothing was changed.
 */
export class VmMovedError extends Error {
  override name = "VmMovedError";
  constructor(
    readonly vmId: string,
    readonly ownerHostId: string,
    readonly servingHostId: string,
  ) {
    super(`vm ${vmId} moved to host ${JSON.stringify(ownerHostId)}`);
  }
}

/**
 * The VM's row is held by another host's transaction: a move of the VM (MigrateVm) is in
 * progress. Nothing was changed; once the move ends the VM answers from its new host.
 */
export class VmBusyError extends Error {
  override name = "VmBusyError";
  constructor(readonly vmId: string) {
    super(
      `vm ${vmId} is being moved between hosts (MigrateVm in progress): nothing was changed; read it again and send the change to the host it runs on`,
    );
  }
}

/** What a move expects of the VM, as the moving host read it before programming itself. */
export interface ExpectedPlacement {
  hostId: string;
  configVersion: number;
  isolated: boolean;
  state: VmStateName;
}

export class VmExistsError extends Error {
  override name = "VmExistsError";
  constructor(readonly vmId: string) {
    super(`VM ${vmId} already exists`);
  }
}

interface VmRow {
  id: string;
  tenant_id: string;
  host_id: string;
  state: VmStateName;
  isolated: boolean;
  application_tier: string;
  config_version: number;
  tenant_mark: string;
  created_at: string;
  updated_at: string;
  config: unknown;
  spec: unknown;
  effective: unknown;
}

function toRecord(row: VmRow): VmRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    hostId: row.host_id,
    state: row.state,
    isolated: row.isolated,
    applicationTier: row.application_tier,
    configVersion: Number(row.config_version),
    tenantMark: Number(row.tenant_mark),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    config: row.config,
    spec: row.spec,
    effective: row.effective,
  };
}

// One statement for tenant, VM, first config version and allocations; the audit record follows
// in the same transaction (the chain's writer must hash it after the head it locks).
const INSERT_VM = `
WITH tenant AS (
  INSERT INTO tenants (id, name) VALUES ($2, $2) ON CONFLICT (id) DO NOTHING
), vm AS (
  INSERT INTO vms (id, tenant_id, host_id, state, application_tier, config_version, created_at, updated_at)
  VALUES ($1, $2, $3, $4, $5, 1, $6, $6)
), version AS (
  INSERT INTO vm_config_versions (vm_id, version, config, spec, effective, created_at)
  VALUES ($1, 1, $7, $8, $9, $6)
), allocation AS (
  INSERT INTO ipv6_allocations (address, prefix_length, vm_id, interface_id, allocated_at, pool_id)
  SELECT a.address, a.prefix_length, $1, a.interface_id, $6, a.pool_id
  FROM jsonb_to_recordset($10::jsonb) AS a (address text, prefix_length integer, interface_id text,
    pool_id text)
)
SELECT 1`;

const SELECT_VM = `
SELECT v.id, v.tenant_id, v.host_id, v.state, v.isolated, v.application_tier, v.config_version,
       v.created_at, v.updated_at, c.config, c.spec, c.effective, t.mark AS tenant_mark
FROM vms v JOIN vm_config_versions c ON c.vm_id = v.id AND c.version = v.config_version
JOIN tenants t ON t.id = v.tenant_id`;

// Every change below stores its audit record, then its event (if any), in its transaction: the
// event last, because insertSecurityEvents holds the event log's seq lock until the commit.
export interface VmRepository {
  insert(vm: NewVm): Promise<ChangeEvents>;
  get(id: string): Promise<VmRecord | undefined>;
  /** The tenant's packet mark, creating the tenant if it is new. */
  tenantMark(tenantId: string): Promise<number>;
  list(filter: VmListFilter): Promise<VmRecord[]>;
  count(filter: Omit<VmListFilter, "afterId" | "limit" | "excludeStates">): Promise<number>;
  /** How many VMs are in each state (of one tenant, if given): one GROUP BY, states with none left out. */
  countByState(filter: { tenantId?: string }): Promise<Partial<Record<VmStateName, number>>>;
  /** Marks a VM terminated and releases its addresses. Undefined if it was not live. */
  terminate(id: string, at: Date, audit: AuditEntry): Promise<ChangeEvents | undefined>;
  /**
   * Stores version `fromVersion + 1` of a VM's configuration with its address allocations, if
   * the VM is still at `fromVersion`; returns the new version and the events stored with it.
   */
  updateConfig(
    id: string,
    fromVersion: number,
    next: ConfigVersion,
    at: Date,
    audit: AuditEntry,
  ): Promise<{ version: number; events: ChangeEvents }>;
  /** Moves a VM from one of `from` to `to`; undefined if it was in none of them. */
  setState(
    id: string,
    from: VmStateName[],
    to: VmStateName,
    at: Date,
    audit: AuditEntry,
  ): Promise<ChangeEvents | undefined>;
  /** Sets the quarantine flag of a live VM; undefined if the VM is unknown or terminated. */
  setIsolated(
    id: string,
    isolated: boolean,
    at: Date,
    audit: AuditEntry,
  ): Promise<ChangeEvents | undefined>;
  /** The configuration version in force at `at` (the newest created at or before it). */
  versionAt(id: string, at: Date): Promise<StoredVersion | undefined>;
  /** Removes every trace of a VM whose creation could not be completed on the host. */
  discard(id: string, at: Date, audit: AuditEntry): Promise<ChangeEvents>;
  /**
   * Moves a VM to `toHostId` (MigrateVm): holds the VM's row, checks it is still as `expected`
   * (else ConfigConflictError; VmBusyError if another move holds it), runs `program` (the new
   * host puts the VM's enforcement in force) and only then stores the new host with the audit
   * record and event, in the same transaction. If `program` throws, nothing is stored.
   */
  moveHost(
    id: string,
    expected: ExpectedPlacement,
    toHostId: string,
    program: () => Promise<void>,
    at: Date,
    audit: AuditEntry,
  ): Promise<ChangeEvents>;
}

/** SQLSTATE 55P03: a NOWAIT row lock found the row held. */
function isLockNotAvailable(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "55P03"
  );
}

export function createVmRepository(
  db: SqlClient,
  options: {
    audit?: AuditWriter;
    /**
     * The host whose changes this repository stores: a change (update, state, quarantine,
     * terminate) of a VM that has meanwhile moved to another host is then refused with
     * VmMovedError, and one of a VM whose move is in progress with VmBusyError.
     */
    hostId?: string;
  } = {},
): VmRepository {
  const json = (value: unknown) => JSON.stringify(value);
  /**
   * A change's first statement: holds the VM's row for the transaction (without waiting: only
   * a move from another host holds it for long) and checks the VM is still this host's.
   */
  async function holdOwned(tx: SqlExecutor, id: string): Promise<void> {
    const hostId = options.hostId;
    if (hostId === undefined) return;
    let rows: { host_id: string }[];
    try {
      ({ rows } = await tx.query<{ host_id: string }>(
        "SELECT host_id FROM vms WHERE id = $1 FOR NO KEY UPDATE NOWAIT",
        [id],
      ));
    } catch (error) {
      if (isLockNotAvailable(error)) throw new VmBusyError(id);
      throw error;
    }
    const owner = rows[0]?.host_id;
    if (owner !== undefined && owner !== hostId) throw new VmMovedError(id, owner, hostId);
  }
  const auditWriter = options.audit ?? createAuditWriter();
  /** Writes a change's audit record and then its event: the transaction's last statements. */
  async function record(
    tx: SqlExecutor,
    audit: AuditEntry,
    at: Date,
    vmId: string,
  ): Promise<ChangeEvents> {
    await auditWriter.append(
      tx,
      {
        id: audit.id,
        occurredAt: at,
        actor: audit.actor,
        action: audit.action,
        vmId,
        details: audit.details,
        before: audit.before,
        after: audit.after,
      },
      { vmTenant: true },
    );
    return audit.event ? insertSecurityEvents(tx, [audit.event]) : [];
  }
  return {
    async insert(vm) {
      const allocations = vm.addresses.map((a) => ({
        address: a.address,
        prefix_length: a.prefixLength,
        interface_id: a.interfaceId,
        pool_id: a.poolId ?? null,
      }));
      const params = [
        vm.id,
        vm.tenantId,
        vm.hostId,
        vm.state,
        vm.applicationTier,
        vm.createdAt.toISOString(),
        json(vm.config),
        json(vm.spec),
        json(vm.effective),
        json(allocations),
      ];
      try {
        return await db.transaction(async (tx) => {
          await tx.query(INSERT_VM, params);
          return record(tx, vm.audit, vm.createdAt, vm.id);
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The CTE's statements run together: a VM that exists may be reported through its
        // first config version's key rather than its own.
        if (
          error.constraint === "vms_pkey" ||
          error.constraint === "vm_config_versions_pkey" ||
          (error.detail ?? "").includes("(id)")
        )
          throw new VmExistsError(vm.id);
        const { rows } = await db.query<{ address: string; vm_id: string | null }>(
          "SELECT address, vm_id FROM ipv6_allocations WHERE address = ANY($1::text[]) ORDER BY address",
          [vm.addresses.map((a) => a.address)],
        );
        const taken = vm.addresses.find((a) => rows.some((r) => r.address === a.address));
        if (!taken) throw error;
        throw new AddressTakenError(
          taken.address,
          rows.find((r) => r.address === taken.address)?.vm_id ?? null,
        );
      }
    },

    async tenantMark(tenantId) {
      await db.query("INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING", [
        tenantId,
      ]);
      const { rows } = await db.query<{ mark: string }>("SELECT mark FROM tenants WHERE id = $1", [
        tenantId,
      ]);
      return Number(rows[0]?.mark);
    },

    async get(id) {
      const { rows } = await db.query<VmRow>(`${SELECT_VM} WHERE v.id = $1`, [id]);
      return rows[0] && toRecord(rows[0]);
    },

    async versionAt(id, at) {
      const { rows } = await db.query<{
        version: number;
        created_at: string;
        config: unknown;
        spec: unknown;
        effective: unknown;
      }>(
        `SELECT version, created_at, config, spec, effective FROM vm_config_versions
         WHERE vm_id = $1 AND created_at <= $2 ORDER BY version DESC LIMIT 1`,
        [id, at.toISOString()],
      );
      const row = rows[0];
      return (
        row && {
          version: Number(row.version),
          createdAt: new Date(row.created_at),
          config: row.config,
          spec: row.spec,
          effective: row.effective,
        }
      );
    },

    async list(filter) {
      const { rows } = await db.query<VmRow>(
        `${SELECT_VM}
         WHERE ($1::text IS NULL OR v.tenant_id = $1) AND ($2::text IS NULL OR v.state = $2)
           AND ($3::text IS NULL OR v.id > $3) AND ($5::text IS NULL OR v.host_id = $5)
           AND NOT (v.state = ANY($6::text[]))
         ORDER BY v.id LIMIT $4`,
        [
          filter.tenantId ?? null,
          filter.state ?? null,
          filter.afterId ?? null,
          filter.limit,
          filter.hostId ?? null,
          filter.excludeStates ?? [],
        ],
      );
      return rows.map(toRecord);
    },

    async count(filter) {
      const { rows } = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM vms WHERE ($1::text IS NULL OR tenant_id = $1)
         AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR host_id = $3)`,
        [filter.tenantId ?? null, filter.state ?? null, filter.hostId ?? null],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async countByState(filter) {
      const { rows } = await db.query<{ state: VmStateName; n: string }>(
        "SELECT state, count(*) AS n FROM vms WHERE ($1::text IS NULL OR tenant_id = $1) GROUP BY state",
        [filter.tenantId ?? null],
      );
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    },

    async terminate(id, at, audit) {
      return db.transaction(async (tx) => {
        await holdOwned(tx, id);
        const updated = await tx.query(
          "UPDATE vms SET state = 'TERMINATED', updated_at = $2 WHERE id = $1 AND state <> 'TERMINATED'",
          [id, at.toISOString()],
        );
        if (updated.affectedRows === 0) return undefined;
        await tx.query("DELETE FROM ipv6_allocations WHERE vm_id = $1", [id]);
        return record(tx, audit, at, id);
      });
    },

    async updateConfig(id, fromVersion, next, at, audit) {
      const version = fromVersion + 1;
      try {
        return await db.transaction(async (tx) => {
          await holdOwned(tx, id);
          const moved = await tx.query(
            "UPDATE vms SET config_version = $3, updated_at = $4 WHERE id = $1 AND config_version = $2 AND state <> 'TERMINATED'",
            [id, fromVersion, version, at.toISOString()],
          );
          if (moved.affectedRows === 0)
            throw new ConfigConflictError(`vm ${id} changed meanwhile; read it again`);
          await tx.query(
            "INSERT INTO vm_config_versions (vm_id, version, config, spec, effective, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            [
              id,
              version,
              JSON.stringify(next.config),
              JSON.stringify(next.spec),
              JSON.stringify(next.effective),
              at.toISOString(),
            ],
          );
          await tx.query("DELETE FROM ipv6_allocations WHERE vm_id = $1", [id]);
          await tx.query(
            `INSERT INTO ipv6_allocations (address, prefix_length, vm_id, interface_id, allocated_at, pool_id)
             SELECT a.address, a.prefix_length, $1, a.interface_id, $2, a.pool_id
             FROM jsonb_to_recordset($3::jsonb) AS a (address text, prefix_length integer, interface_id text,
               pool_id text)`,
            [
              id,
              at.toISOString(),
              JSON.stringify(
                next.addresses.map((a) => ({
                  address: a.address,
                  prefix_length: a.prefixLength,
                  interface_id: a.interfaceId,
                  pool_id: a.poolId ?? null,
                })),
              ),
            ],
          );
          return { version, events: await record(tx, audit, at, id) };
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const { rows } = await db.query<{ address: string; vm_id: string | null }>(
          "SELECT address, vm_id FROM ipv6_allocations WHERE address = ANY($1::text[]) AND vm_id <> $2",
          [next.addresses.map((a) => a.address), id],
        );
        const taken = rows[0];
        if (!taken) throw error;
        throw new AddressTakenError(taken.address, taken.vm_id);
      }
    },

    async setState(id, from, to, at, audit) {
      return db.transaction(async (tx) => {
        await holdOwned(tx, id);
        const updated = await tx.query(
          "UPDATE vms SET state = $3, updated_at = $4 WHERE id = $1 AND state = ANY($2::text[])",
          [id, from, to, at.toISOString()],
        );
        if (updated.affectedRows === 0) return undefined;
        return record(tx, audit, at, id);
      });
    },

    async setIsolated(id, isolated, at, audit) {
      return db.transaction(async (tx) => {
        await holdOwned(tx, id);
        const updated = await tx.query(
          "UPDATE vms SET isolated = $2, updated_at = $3 WHERE id = $1 AND state <> 'TERMINATED'",
          [id, isolated, at.toISOString()],
        );
        if (updated.affectedRows === 0) return undefined;
        return record(tx, audit, at, id);
      });
    },

    async discard(id, at, audit) {
      return db.transaction(async (tx) => {
        await tx.query("DELETE FROM ipv6_allocations WHERE vm_id = $1", [id]);
        await tx.query("DELETE FROM vm_config_versions WHERE vm_id = $1", [id]);
        await tx.query("DELETE FROM vms WHERE id = $1", [id]);
        return record(tx, audit, at, id);
      });
    },

    async moveHost(id, expected, toHostId, program, at, audit) {
      return db.transaction(async (tx) => {
        type Row = { host_id: string; config_version: number; isolated: boolean; state: string };
        let rows: Row[];
        try {
          // NO KEY UPDATE: rows referring to the VM (events, allocations) may still be written.
          ({ rows } = await tx.query<Row>(
            "SELECT host_id, config_version, isolated, state FROM vms WHERE id = $1 FOR NO KEY UPDATE NOWAIT",
            [id],
          ));
        } catch (error) {
          if (isLockNotAvailable(error)) throw new VmBusyError(id);
          throw error;
        }
        const row = rows[0];
        if (
          !row ||
          row.host_id !== expected.hostId ||
          Number(row.config_version) !== expected.configVersion ||
          row.isolated !== expected.isolated ||
          row.state !== expected.state
        )
          throw new ConfigConflictError(
            `vm ${id} changed while it was being moved; nothing was moved, send MigrateVm again`,
          );
        await program();
        await tx.query("UPDATE vms SET host_id = $2, updated_at = $3 WHERE id = $1", [
          id,
          toHostId,
          at.toISOString(),
        ]);
        return record(tx, audit, at, id);
      });
    },
  };
}
