// Times every statement for the metrics (where a request's time goes), inside transactions
// too, without changing results or errors.
import type { SqlClient, SqlExecutor } from "./sql-client.js";

/** Called once per statement after it ends: `query` or `exec`, and its seconds. */
export type ObserveStatement = (kind: "query" | "exec", seconds: number) => void;

function timedExecutor(executor: SqlExecutor, observe: ObserveStatement): SqlExecutor {
  const time = async <T>(kind: "query" | "exec", work: () => Promise<T>): Promise<T> => {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      observe(kind, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
  return {
    query: (sql, params) => time("query", () => executor.query(sql, params)),
    exec: (sql) => time("exec", () => executor.exec(sql)),
  };
}

export function timedSqlClient(client: SqlClient, observe: ObserveStatement): SqlClient {
  const executor = timedExecutor(client, observe);
  return {
    kind: client.kind,
    query: executor.query,
    exec: executor.exec,
    transaction: (fn) => client.transaction((tx) => fn(timedExecutor(tx, observe))),
    close: () => client.close(),
  };
}
