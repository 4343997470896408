import { describe, expect, it } from "vitest";
import type { SqlClient, SqlExecutor } from "./sql-client.js";
import { timedSqlClient } from "./timed-sql-client.js";

function fakeClient(log: string[]): SqlClient {
  const executor: SqlExecutor = {
    query: async <T>(sql: string) => {
      log.push(sql);
      if (sql === "fail") throw new Error("syntax error");
      return { rows: [{ sql }] as T[], affectedRows: 1 };
    },
    exec: async (sql) => {
      log.push(sql);
    },
  };
  return {
    kind: "pglite",
    ...executor,
    transaction: (fn) => fn(executor),
    close: async () => undefined,
  };
}

describe("timed SQL client", () => {
  it("times every statement, inside transactions and failed ones too, and keeps results", async () => {
    const log: string[] = [];
    const kinds: string[] = [];
    const db = timedSqlClient(fakeClient(log), (kind) => kinds.push(kind));
    expect((await db.query("select 1")).rows).toEqual([{ sql: "select 1" }]);
    await db.exec("create table t ()");
    await db.transaction(async (tx) => {
      await tx.query("insert");
      await tx.exec("script");
    });
    await expect(db.query("fail")).rejects.toThrow("syntax error");
    expect(kinds).toEqual(["query", "exec", "query", "exec", "query"]);
    expect(log).toEqual(["select 1", "create table t ()", "insert", "script", "fail"]);
    expect(db.kind).toBe("pglite");
  });
});
