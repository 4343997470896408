// Deletes events past their retention (each event carries its VM's data_retention_days),
// in small batches so that a large purge never holds the event log for long.
import type { SecurityEventRepository } from "@metald/db";
import type { FastifyBaseLogger } from "fastify";

const BATCH = 10_000;

export function startRetentionJob(options: {
  events: SecurityEventRepository;
  intervalMs: number;
  logger: FastifyBaseLogger;
}): { runOnce(): Promise<number>; stop(): void } {
  async function runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await options.events.purgeExpired(new Date(), BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) options.logger.info({ deleted: total }, "expired security events deleted");
    return total;
  }
  const run = () =>
    runOnce().catch((error: unknown) =>
      options.logger.error({ err: error }, "deleting expired security events failed"),
    );
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  void run();
  return { runOnce, stop: () => clearInterval(timer) };
}
