// Host-wide blocked source addresses and prefixes.
import type { SqlClient } from "./sql-client.js";

export interface BlockedSource {
  source: string;
  reason: string;
  actor: string;
  createdAt: Date;
}

export interface BlockedSourceRepository {
  list(): Promise<BlockedSource[]>;
  /** False if the source was already blocked. */
  add(source: string, reason: string, actor: string, at: Date): Promise<boolean>;
  /** False if the source was not blocked. */
  remove(source: string): Promise<boolean>;
}

export function createBlockedSourceRepository(db: SqlClient): BlockedSourceRepository {
  return {
    async list() {
      const { rows } = await db.query<{
        source: string;
        reason: string;
        actor: string;
        created_at: string;
      }>("SELECT source, reason, actor, created_at FROM blocked_sources ORDER BY source");
      return rows.map((r) => ({
        source: r.source,
        reason: r.reason,
        actor: r.actor,
        createdAt: new Date(r.created_at),
      }));
    },
    async add(source, reason, actor, at) {
      const result = await db.query(
        "INSERT INTO blocked_sources (source, reason, actor, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (source) DO NOTHING",
        [source, reason, actor, at.toISOString()],
      );
      return result.affectedRows === 1;
    },
    async remove(source) {
      const result = await db.query("DELETE FROM blocked_sources WHERE source = $1", [source]);
      return result.affectedRows === 1;
    },
  };
}
