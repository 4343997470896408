// The small SQL surface every repository uses, implemented by PGlite and by node-postgres.

export interface SqlResult<T> {
  rows: T[];
  affectedRows: number;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(
    sql: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<T>>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A unique-constraint violation (SQLSTATE 23505), from either driver. */
export function isUniqueViolation(
  error: unknown,
): error is { code: string; constraint?: string; detail?: string } {
  return (
    typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505"
  );
}
