// The hash chain of the audit trail: each record's hash is SHA-256 over the previous record's
// hash and the record's canonical content, so changing, removing, adding or moving a record
// breaks every link after it. The content holds the payload as stored (ciphertext when the
// trail is encrypted): the chain is verified without the encryption keys.
import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

/** The hash before the first record of a chain. */
export const GENESIS_HASH = "0".repeat(64);

/** What one audit record says, as stored; every field is covered by its hash. */
export interface AuditRecordContent {
  /** The record's position in the chain (1, 2, ...), assigned under the chain's lock. */
  seq: number;
  id: string;
  occurredAt: Date;
  actor: string;
  /** The API token used, its role and its tenant (null when none applies). */
  tokenId: string | null;
  role: string | null;
  actorTenantId: string | null;
  action: string;
  /** What the action was about. */
  tenantId: string | null;
  vmId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  /** Canonical JSON of {before, after}, or its AES-256-GCM envelope when keyId is set. */
  payload: string;
  keyId: string | null;
}

export interface ChainedAuditRecord extends AuditRecordContent {
  prevHash: string;
  hash: string;
}

/** The text a record's hash covers (after the previous hash). */
export function canonicalAuditContent(r: AuditRecordContent): string {
  return canonicalJson({
    v: 1,
    seq: r.seq,
    id: r.id,
    occurred_at: r.occurredAt.toISOString(),
    actor: r.actor,
    token_id: r.tokenId,
    role: r.role,
    actor_tenant_id: r.actorTenantId,
    action: r.action,
    tenant_id: r.tenantId,
    vm_id: r.vmId,
    client_address: r.clientAddress,
    user_agent: r.userAgent,
    details: r.details,
    payload: r.payload,
    key_id: r.keyId,
  });
}

export function auditRecordHash(prevHash: string, record: AuditRecordContent): string {
  return createHash("sha256")
    .update(prevHash)
    .update("\n")
    .update(canonicalAuditContent(record))
    .digest("hex");
}

/** Links a record after `prevHash`. */
export function chainAuditRecord(prevHash: string, record: AuditRecordContent): ChainedAuditRecord {
  return { ...record, prevHash, hash: auditRecordHash(prevHash, record) };
}
