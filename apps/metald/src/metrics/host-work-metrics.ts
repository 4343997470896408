// Where a request's time goes below the API: each host command by program (`ip`, `tc`,
// `bpftool`, `sysctl`, ...), each nft transaction, and each database statement. Sums and counts
// over an interval divide a request's latency among them (e2e/bench/create-vm-scale.bench.ts).
import { Histogram, type Registry } from "prom-client";

export interface HostWorkMetrics {
  command(name: string, seconds: number, ok: boolean): void;
  statement(kind: "query" | "exec", seconds: number): void;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function registerHostWorkMetrics(registry: Registry): HostWorkMetrics {
  const commands = new Histogram({
    name: "metald_host_command_duration_seconds",
    help: "Host commands (by program) and nft transactions (nft-transaction), from start to exit",
    labelNames: ["command", "result"],
    buckets: BUCKETS,
    registers: [registry],
  });
  const statements = new Histogram({
    name: "metald_database_statement_duration_seconds",
    help: "Database statements (query: one statement with parameters; exec: a script)",
    labelNames: ["kind"],
    buckets: BUCKETS,
    registers: [registry],
  });
  return {
    command: (name, seconds, ok) =>
      commands.observe({ command: name, result: ok ? "ok" : "failed" }, seconds),
    statement: (kind, seconds) => statements.observe({ kind }, seconds),
  };
}
