// The one writer of audit records. Every audited change appends through it, inside the change's
// own transaction: the chain's head row is locked (SELECT ... FOR UPDATE on audit_chain), the
// record gets head_seq + 1 and is hashed after head_hash, and record and head are written in
// one statement. The row lock is held until the transaction ends, so writers on any number of
// PostgreSQL connections (or PGlite's one) extend a single chain in commit order; a rolled-back
// change leaves neither its record nor a gap. Steady state takes one round trip (APPEND_IF_HEAD).
import {
  type AuditKeyring,
  type ChainedAuditRecord,
  canonicalJson,
  chainAuditRecord,
  sealAuditPayload,
  signCheckpoint,
} from "@metald/core";
import type { SqlExecutor } from "./sql-client.js";

/** Who made a request and from where: filled in from the request when a record omits it. */
export interface AuditOrigin {
  tokenId?: string | null;
  role?: string | null;
  actorTenantId?: string | null;
  clientAddress?: string | null;
  userAgent?: string | null;
}

export interface NewAuditRecord extends AuditOrigin {
  id: string;
  occurredAt: Date;
  actor: string;
  action: string;
  tenantId?: string | null;
  vmId?: string | null;
  details?: Record<string, unknown>;
  /** The state before and after the action (encrypted at rest when a keyring is set). */
  before?: unknown;
  after?: unknown;
}

export interface AuditWriterOptions {
  /** Encrypts each record's before/after payload with the keyring's current key. */
  keyring?: () => AuditKeyring | undefined;
  /** Signs a checkpoint every `checkpointEvery` records (HMAC-SHA256). */
  checkpointKey?: () => Buffer | undefined;
  checkpointEvery?: number;
  /** The request being served, if any (see apps/metald/src/audit/request-origin.ts). */
  origin?: () => AuditOrigin | undefined;
}

export interface AuditWriter {
  /**
   * Appends a record in the caller's transaction; `vmTenant` takes the record's tenant from the
   * VM's row. Call it last but for event inserts: it holds the chain's lock until the commit.
   */
  append(
    tx: SqlExecutor,
    record: NewAuditRecord,
    options?: { vmTenant?: boolean },
  ): Promise<ChainedAuditRecord>;
}

export const DEFAULT_CHECKPOINT_EVERY = 1000;

const LOCK_HEAD = `
SELECT head_seq, head_hash, CASE WHEN $1::text IS NULL THEN NULL
  ELSE (SELECT tenant_id FROM vms WHERE id = $1) END AS vm_tenant
FROM audit_chain WHERE id = 1 FOR UPDATE`;

const APPEND = `
WITH r AS (
  INSERT INTO audit_records (seq, id, occurred_at, actor, token_id, role, actor_tenant_id, action,
    tenant_id, vm_id, client_address, user_agent, details, payload, key_id, prev_hash, hash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
)
UPDATE audit_chain SET head_seq = $1, head_hash = $17 WHERE id = 1`;

export const INSERT_CHECKPOINT = `
INSERT INTO audit_checkpoints (seq, hash, key_id, signature, signed_at) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (seq) DO NOTHING`;

// The common case in one round trip: the writer remembers the head it last wrote and moves it
// only if it is still there (the UPDATE takes the same row lock, held to the commit); when
// another writer moved it, or this transaction's change rolled back, nothing is written and the
// locked path above runs.
const APPEND_IF_HEAD = `
WITH h AS (
  UPDATE audit_chain SET head_seq = $1, head_hash = $17
  WHERE id = 1 AND head_seq = $1 - 1 AND head_hash = $16
  RETURNING 1
)
INSERT INTO audit_records (seq, id, occurred_at, actor, token_id, role, actor_tenant_id, action,
  tenant_id, vm_id, client_address, user_agent, details, payload, key_id, prev_hash, hash)
SELECT $1::bigint, $2::text, $3::timestamptz, $4::text, $5::text, $6::text, $7::text, $8::text,
  $9::text, $10::text, $11::text, $12::text, $13::jsonb, $14::text, $15::text, $16::text, $17::text
FROM h`;

/** A VM's tenant never changes: remembered so that its changes take the one-round-trip path. */
const MAX_REMEMBERED_VMS = 10_000;

export function createAuditWriter(options: AuditWriterOptions = {}): AuditWriter {
  const every = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  let lastHead: { seq: number; hash: string } | undefined;
  const vmTenants = new Map<string, string | null>();

  function build(
    r: NewAuditRecord,
    head: { seq: number; hash: string },
    tenantId: string | null,
  ): { chained: ChainedAuditRecord; params: unknown[] } {
    const origin = options.origin?.() ?? {};
    const plaintext = canonicalJson({ before: r.before ?? null, after: r.after ?? null });
    const keyring = options.keyring?.();
    const sealed = keyring
      ? sealAuditPayload(keyring, r.id, plaintext)
      : { keyId: null, payload: plaintext };
    const pick = <K extends keyof AuditOrigin>(k: K) => r[k] ?? origin[k] ?? null;
    const chained = chainAuditRecord(head.hash, {
      seq: head.seq + 1,
      id: r.id,
      occurredAt: r.occurredAt,
      actor: r.actor,
      tokenId: pick("tokenId"),
      role: pick("role"),
      actorTenantId: pick("actorTenantId"),
      action: r.action,
      tenantId,
      vmId: r.vmId ?? null,
      clientAddress: pick("clientAddress"),
      userAgent: pick("userAgent"),
      details: r.details ?? {},
      payload: sealed.payload,
      keyId: sealed.keyId,
    });
    const params = [
      chained.seq,
      chained.id,
      chained.occurredAt.toISOString(),
      chained.actor,
      chained.tokenId,
      chained.role,
      chained.actorTenantId,
      chained.action,
      chained.tenantId,
      chained.vmId,
      chained.clientAddress,
      chained.userAgent,
      JSON.stringify(chained.details),
      chained.payload,
      chained.keyId,
      chained.prevHash,
      chained.hash,
    ];
    return { chained, params };
  }

  async function written(tx: SqlExecutor, chained: ChainedAuditRecord) {
    lastHead = { seq: chained.seq, hash: chained.hash };
    const key = options.checkpointKey?.();
    if (key && chained.seq % every === 0) {
      const c = signCheckpoint(key, chained.seq, chained.hash);
      await tx.query(INSERT_CHECKPOINT, [c.seq, c.hash, c.keyId, c.signature, new Date()]);
    }
    return chained;
  }

  return {
    async append(tx, r, o) {
      const vmId = r.vmId ?? null;
      const knownTenant = !o?.vmTenant
        ? (r.tenantId ?? null)
        : vmId === null
          ? null
          : vmTenants.get(vmId);
      if (lastHead && knownTenant !== undefined) {
        const { chained, params } = build(r, lastHead, knownTenant);
        const res = await tx.query(APPEND_IF_HEAD, params);
        if (res.affectedRows === 1) return written(tx, chained);
      }
      const { rows } = await tx.query<{
        head_seq: string;
        head_hash: string;
        vm_tenant: string | null;
      }>(LOCK_HEAD, [o?.vmTenant ? vmId : null]);
      const head = rows[0];
      if (!head) throw new Error("audit_chain has no head row (migration 9 not applied?)");
      let tenantId = r.tenantId ?? null;
      if (o?.vmTenant) {
        tenantId = head.vm_tenant;
        if (vmId !== null && tenantId !== null) {
          if (vmTenants.size >= MAX_REMEMBERED_VMS) vmTenants.clear();
          vmTenants.set(vmId, tenantId);
        }
      }
      const { chained, params } = build(
        r,
        { seq: Number(head.head_seq), hash: head.head_hash },
        tenantId,
      );
      await tx.query(APPEND, params);
      return written(tx, chained);
    },
  };
}
