// The audit trail read back: filtered pages (newest first, keyset on seq), the verify walk over
// the whole chain in pages, signed checkpoints on demand, and retention that deletes the oldest
// records only up to a checkpoint, so that what remains still verifies from it.
import {
  type AuditChainVerdict,
  type AuditCheckpoint,
  type AuditKeyring,
  type ChainedAuditRecord,
  createAuditChainVerifier,
  GENESIS_HASH,
  openAuditPayload,
  signCheckpoint,
} from "@metald/core";
import {
  type AuditWriter,
  createAuditWriter,
  INSERT_CHECKPOINT,
  type NewAuditRecord,
} from "./audit-writer.js";
import type { SqlClient } from "./sql-client.js";

export interface AuditFilter {
  since?: Date;
  until?: Date;
  /** The actor text, or the token id. */
  actor?: string;
  tokenId?: string;
  tenantId?: string;
  vmId?: string;
  action?: string;
  /** Records older than this seq (the cursor of the previous page). */
  beforeSeq?: number;
  limit: number;
}

/** A stored record with its payload opened (when it can be). */
export interface AuditRecordView extends ChainedAuditRecord {
  before?: unknown;
  after?: unknown;
  /** Why the payload could not be read (no keyring, wrong key). */
  payloadError?: string;
}

export interface AuditVerification extends AuditChainVerdict {
  /** Records stored before the chain existed (migration 9), not covered by it. */
  legacyRecords: number;
  purgedThroughSeq: number;
  headSeq: number;
}

export interface AuditRepository {
  readonly writer: AuditWriter;
  /** Appends one record in a transaction of its own. */
  append(record: NewAuditRecord): Promise<ChainedAuditRecord>;
  list(filter: AuditFilter): Promise<AuditRecordView[]>;
  /** Records after a seq, in chain order (the JSON-lines file follows the chain with it). */
  after(seq: number, limit: number): Promise<AuditRecordView[]>;
  head(): Promise<{ seq: number; hash: string }>;
  verify(checkpointKey?: Buffer): Promise<AuditVerification>;
  /** Signs a checkpoint at the head unless one is there; false without a key or records. */
  checkpoint(key: Buffer): Promise<boolean>;
  /**
   * Deletes records older than `cutoff` from the start of the chain, at most `batch` of them, after
   * writing a checkpoint at the last one deleted; returns how many were deleted.
   */
  purge(cutoff: Date, batch: number, key?: Buffer): Promise<number>;
}

export interface AuditRepositoryOptions {
  writer?: AuditWriter;
  keyring?: () => AuditKeyring | undefined;
}

interface AuditRow {
  seq: string;
  id: string;
  occurred_at: string | Date;
  actor: string;
  token_id: string | null;
  role: string | null;
  actor_tenant_id: string | null;
  action: string;
  tenant_id: string | null;
  vm_id: string | null;
  client_address: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  payload: string | null;
  key_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

const COLUMNS =
  "seq, id, occurred_at, actor, token_id, role, actor_tenant_id, action, tenant_id, vm_id, client_address, user_agent, details, payload, key_id, prev_hash, hash";

function toChained(row: AuditRow): ChainedAuditRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    occurredAt: new Date(row.occurred_at),
    actor: row.actor,
    tokenId: row.token_id,
    role: row.role,
    actorTenantId: row.actor_tenant_id,
    action: row.action,
    tenantId: row.tenant_id,
    vmId: row.vm_id,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
    details: row.details ?? {},
    payload: row.payload ?? "",
    keyId: row.key_id,
    prevHash: row.prev_hash ?? "",
    hash: row.hash ?? "",
  };
}

function opened(r: ChainedAuditRecord, keyring: AuditKeyring | undefined): AuditRecordView {
  if (r.payload === "") return r;
  try {
    let text = r.payload;
    if (r.keyId) {
      if (!keyring) return { ...r, payloadError: `encrypted with key ${r.keyId}; no keyring` };
      text = openAuditPayload(keyring, r.id, r.keyId, r.payload);
    }
    const { before, after } = JSON.parse(text) as { before: unknown; after: unknown };
    return { ...r, before, after };
  } catch (error) {
    return { ...r, payloadError: error instanceof Error ? error.message : String(error) };
  }
}

const PAGE = 1000;

export function createAuditRepository(
  db: SqlClient,
  options: AuditRepositoryOptions = {},
): AuditRepository {
  const writer = options.writer ?? createAuditWriter();
  const view = (rows: AuditRow[]) => rows.map((r) => opened(toChained(r), options.keyring?.()));
  const chainState = async () => {
    const { rows } = await db.query<{
      start_seq: string;
      head_seq: string;
      head_hash: string;
      purged_through_seq: string;
    }>("SELECT start_seq, head_seq, head_hash, purged_through_seq FROM audit_chain WHERE id = 1");
    const r = rows[0];
    if (!r) throw new Error("audit_chain has no head row (migration 9 not applied?)");
    return {
      startSeq: Number(r.start_seq),
      headSeq: Number(r.head_seq),
      headHash: r.head_hash,
      purgedThroughSeq: Number(r.purged_through_seq),
    };
  };
  const toCheckpoint = (r: {
    seq: string;
    hash: string;
    key_id: string;
    signature: string;
  }): AuditCheckpoint => ({
    seq: Number(r.seq),
    hash: r.hash,
    keyId: r.key_id,
    signature: r.signature,
  });

  return {
    writer,

    append(record) {
      return db.transaction((tx) => writer.append(tx, record));
    },

    async list(f) {
      const { rows } = await db.query<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_records
         WHERE ($1::timestamptz IS NULL OR occurred_at >= $1)
           AND ($2::timestamptz IS NULL OR occurred_at < $2)
           AND ($3::text IS NULL OR actor = $3 OR token_id = $3)
           AND ($4::text IS NULL OR token_id = $4)
           AND ($5::text IS NULL OR tenant_id = $5)
           AND ($6::text IS NULL OR vm_id = $6)
           AND ($7::text IS NULL OR action = $7)
           AND ($8::bigint IS NULL OR seq < $8)
         ORDER BY seq DESC LIMIT $9`,
        [
          f.since?.toISOString() ?? null,
          f.until?.toISOString() ?? null,
          f.actor ?? null,
          f.tokenId ?? null,
          f.tenantId ?? null,
          f.vmId ?? null,
          f.action ?? null,
          f.beforeSeq ?? null,
          f.limit,
        ],
      );
      return view(rows);
    },

    async after(seq, limit) {
      const { rows } = await db.query<AuditRow>(
        `SELECT ${COLUMNS} FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [seq, limit],
      );
      return view(rows);
    },

    async head() {
      const s = await chainState();
      return { seq: s.headSeq, hash: s.headHash };
    },

    async verify(checkpointKey) {
      const state = await chainState();
      const chainFrom = Math.max(state.startSeq, state.purgedThroughSeq);
      const { rows: cps } = await db.query<{
        seq: string;
        hash: string;
        key_id: string;
        signature: string;
      }>(
        "SELECT seq, hash, key_id, signature FROM audit_checkpoints WHERE seq >= $1 ORDER BY seq",
        [chainFrom],
      );
      const checkpoints = new Map(cps.map((c) => [Number(c.seq), toCheckpoint(c)]));
      // After a purge the chain starts at the checkpoint written before the purged range.
      const anchorCheckpoint =
        state.purgedThroughSeq > state.startSeq ? checkpoints.get(chainFrom) : undefined;
      checkpoints.delete(chainFrom);
      const verifier = createAuditChainVerifier({
        anchor:
          state.purgedThroughSeq > state.startSeq
            ? {
                seq: chainFrom,
                hash: anchorCheckpoint?.hash ?? "(missing checkpoint)",
                checkpoint: anchorCheckpoint ?? {
                  seq: -1,
                  hash: "",
                  keyId: "",
                  signature: "",
                },
              }
            : { seq: chainFrom, hash: GENESIS_HASH },
        checkpoints,
        checkpointKey,
      });
      let position = chainFrom;
      for (;;) {
        const { rows } = await db.query<AuditRow>(
          `SELECT ${COLUMNS} FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2`,
          [position, PAGE],
        );
        const records = rows.map(toChained);
        const ok = records.every((r) => verifier.next(r));
        const last = records.at(-1);
        if (!ok || !last || records.length < PAGE) break;
        position = last.seq;
      }
      const { rows: legacy } = await db.query<{ n: string }>(
        "SELECT count(*) AS n FROM audit_records WHERE seq <= $1",
        [state.startSeq],
      );
      return {
        ...verifier.finish({ seq: state.headSeq, hash: state.headHash }),
        legacyRecords: Number(legacy[0]?.n ?? 0),
        purgedThroughSeq: state.purgedThroughSeq,
        headSeq: state.headSeq,
      };
    },

    async checkpoint(key) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{ head_seq: string; head_hash: string; start_seq: string }>(
          "SELECT head_seq, head_hash, start_seq FROM audit_chain WHERE id = 1 FOR UPDATE",
        );
        const head = rows[0];
        if (!head || Number(head.head_seq) <= Number(head.start_seq)) return false;
        const c = signCheckpoint(key, Number(head.head_seq), head.head_hash);
        const r = await tx.query(INSERT_CHECKPOINT, [
          c.seq,
          c.hash,
          c.keyId,
          c.signature,
          new Date(),
        ]);
        return r.affectedRows > 0;
      });
    },

    async purge(cutoff, batch, key) {
      return db.transaction(async (tx) => {
        const { rows } = await tx.query<{
          head_seq: string;
          purged_through_seq: string;
          start_seq: string;
        }>(
          "SELECT head_seq, purged_through_seq, start_seq FROM audit_chain WHERE id = 1 FOR UPDATE",
        );
        const state = rows[0];
        if (!state) return 0;
        const from = Number(state.purged_through_seq);
        // The purged range is a prefix of the chain: it ends before the oldest record still kept.
        const { rows: ends } = await tx.query<{ keep: string | null }>(
          "SELECT min(seq) AS keep FROM audit_records WHERE seq > $1 AND occurred_at >= $2",
          [from, cutoff.toISOString()],
        );
        const keep = ends[0]?.keep;
        const through = Math.min(
          keep === null || keep === undefined ? Number(state.head_seq) : Number(keep) - 1,
          from + batch,
        );
        if (through <= from) return 0;
        if (through > Number(state.start_seq)) {
          const { rows: at } = await tx.query<{ hash: string }>(
            "SELECT hash FROM audit_records WHERE seq = $1",
            [through],
          );
          const hash = at[0]?.hash;
          if (!hash) throw new Error(`audit record seq ${through} is missing; verify the trail`);
          const c = key
            ? signCheckpoint(key, through, hash)
            : { seq: through, hash, keyId: "", signature: "" };
          await tx.query(INSERT_CHECKPOINT, [c.seq, c.hash, c.keyId, c.signature, new Date()]);
        }
        const deleted = await tx.query("DELETE FROM audit_records WHERE seq > $1 AND seq <= $2", [
          from,
          through,
        ]);
        await tx.query("DELETE FROM audit_checkpoints WHERE seq < $1", [through]);
        await tx.query("UPDATE audit_chain SET purged_through_seq = $1 WHERE id = 1", [through]);
        return deleted.affectedRows;
      });
    },
  };
}
