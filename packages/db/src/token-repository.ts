// API tokens: their role and tenant, and the hash of their secret (never the secret).
import type { SqlClient } from "./sql-client.js";

export type TokenRole = "operator" | "tenant" | "auditor";

export interface ApiToken {
  id: string;
  name: string;
  role: TokenRole;
  tenantId: string | null;
  secretHash: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface TokenRepository {
  create(token: Omit<ApiToken, "createdAt" | "revokedAt">): Promise<void>;
  get(id: string): Promise<ApiToken | undefined>;
  list(): Promise<ApiToken[]>;
  /** False if no live token has this id. */
  revoke(id: string, at: Date): Promise<boolean>;
}

interface Row {
  id: string;
  name: string;
  role: TokenRole;
  tenant_id: string | null;
  secret_hash: string;
  created_at: string;
  revoked_at: string | null;
}

const toToken = (r: Row): ApiToken => ({
  id: r.id,
  name: r.name,
  role: r.role,
  tenantId: r.tenant_id,
  secretHash: r.secret_hash,
  createdAt: new Date(r.created_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

export function createTokenRepository(db: SqlClient): TokenRepository {
  return {
    async create(t) {
      await db.query(
        "INSERT INTO api_tokens (id, name, role, tenant_id, secret_hash) VALUES ($1, $2, $3, $4, $5)",
        [t.id, t.name, t.role, t.tenantId, t.secretHash],
      );
    },
    async get(id) {
      const { rows } = await db.query<Row>("SELECT * FROM api_tokens WHERE id = $1", [id]);
      return rows[0] && toToken(rows[0]);
    },
    async list() {
      const { rows } = await db.query<Row>("SELECT * FROM api_tokens ORDER BY created_at, id");
      return rows.map(toToken);
    },
    async revoke(id, at) {
      const { affectedRows } = await db.query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        [id, at.toISOString()],
      );
      return affectedRows > 0;
    },
  };
}
