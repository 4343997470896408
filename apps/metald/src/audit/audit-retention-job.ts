// Purges audit records older than compliance.data_retention_days, from the start of the chain and
// in batches; each purge first writes the checkpoint that anchors what remains (audit-repository).
import type { AuditRepository } from "@metald/db";
import type { FastifyBaseLogger } from "fastify";

const BATCH = 10_000;

export function startAuditRetentionJob(o: {
  audit: AuditRepository;
  retentionDays: number;
  checkpointKey: () => Buffer | undefined;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): { runOnce(now?: Date): Promise<number>; stop(): void } {
  async function runOnce(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - o.retentionDays * 86_400_000);
    let total = 0;
    for (;;) {
      const deleted = await o.audit.purge(cutoff, BATCH, o.checkpointKey());
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) o.logger.info({ deleted: total }, "audit records past retention purged");
    return total;
  }
  const run = () =>
    runOnce().catch((error: unknown) =>
      o.logger.error({ err: error }, "purging expired audit records failed"),
    );
  const timer = setInterval(run, o.intervalMs);
  timer.unref();
  void run();
  return { runOnce, stop: () => clearInterval(timer) };
}
