// The audit trail as a tamper-evident chain: who did it (token, role, tenant, client address,
// user agent), before and after (plain canonical JSON or AES-256-GCM ciphertext with its key
// id), and each record's place in a SHA-256 chain. seq is no longer drawn from a sequence: the
// writer assigns head_seq + 1 under the row lock of audit_chain, so concurrent writers on any
// number of connections commit one chain, never a fork. Records stored before this migration
// (seq <= start_seq) predate the chain and are not covered by it.
export const auditChain = `
ALTER TABLE audit_records
  ADD COLUMN token_id        text,
  ADD COLUMN role            text,
  ADD COLUMN actor_tenant_id text,
  ADD COLUMN client_address  text,
  ADD COLUMN user_agent      text,
  ADD COLUMN payload         text,
  ADD COLUMN key_id          text,
  ADD COLUMN prev_hash       text,
  ADD COLUMN hash            text;
ALTER TABLE audit_records ALTER COLUMN seq DROP DEFAULT;

CREATE TABLE audit_chain (
  id                 integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  start_seq          bigint NOT NULL,
  head_seq           bigint NOT NULL,
  head_hash          text NOT NULL,
  -- Retention deleted every record up to here; the checkpoint at this seq anchors the rest.
  purged_through_seq bigint NOT NULL DEFAULT 0
);
INSERT INTO audit_chain (start_seq, head_seq, head_hash)
SELECT coalesce(max(seq), 0), coalesce(max(seq), 0), repeat('0', 64) FROM audit_records;

-- Signed (seq, hash) pairs: every N records, on a timer, and before each purged range.
-- key_id and signature are empty for a checkpoint written without a checkpoint key.
CREATE TABLE audit_checkpoints (
  seq       bigint PRIMARY KEY,
  hash      text NOT NULL,
  key_id    text NOT NULL,
  signature text NOT NULL,
  signed_at timestamptz NOT NULL
);

-- GET /api/v1/audit pages newest first by seq, per tenant or over time.
CREATE INDEX audit_records_tenant_seq_idx ON audit_records (tenant_id, seq);
CREATE INDEX audit_records_time_idx ON audit_records (occurred_at);
`;
