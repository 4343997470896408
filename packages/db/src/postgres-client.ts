// PostgreSQL through a node-postgres pool, used when DATABASE_URL is set.
import pg from "pg";
import type { SqlClient, SqlExecutor } from "./sql-client.js";

export interface PostgresClientOptions {
  url: string;
  /** Pool size (default 20). */
  max?: number;
  /** Schema to use instead of "public" (created if missing); tests use one each. */
  schema?: string;
  /** Told when an idle pooled connection fails (the pool replaces it). */
  onIdleError?: (error: Error) => void;
}

// Timestamps and bigints come back as text: callers convert at the edge, explicitly.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => v);

const statementNames = new Map<string, string>();

function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `metald_${statementNames.size}`;
    statementNames.set(sql, name);
  }
  return name;
}

export async function createPostgresClient(options: PostgresClientOptions): Promise<SqlClient> {
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 20,
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  // An idle connection the server drops (restart, idle timeout) is an "error" event on the
  // pool: without a listener Node ends the process. The pool discards that client and opens
  // another on the next query; a failing query still reports its own error to its caller.
  pool.on("error", (error) => {
    options.onIdleError?.(error);
  });
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  const wrap = (q: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async exec(sql: string) {
      await q.query(sql);
    },
    async query<T>(sql: string, params: readonly unknown[] = []) {
      // Parameterized statements are prepared once per connection (named by their text), so
      // PostgreSQL parses and plans each only once.
      const name = params.length > 0 ? statementName(sql) : undefined;
      const result = await q.query({ text: sql, values: params as unknown[], name });
      return { rows: result.rows as T[], affectedRows: result.rowCount ?? 0 };
    },
  });
  return {
    kind: "postgres",
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn(wrap(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
