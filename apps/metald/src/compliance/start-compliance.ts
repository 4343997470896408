// Starts compliance on a server: the store, the metrics, the monitor listening to the event
// pipeline's stored events, a host probe and a first evaluation of every VM, a new probe and
// evaluation of the VMs whose tenant layer or host evidence changed on each configuration reload
// (SIGHUP), and the REST routes. Answers the queries ComplianceService serves.
import type { HostDriver, PolicyLayer } from "@metald/core";
import { createComplianceRepository, type SqlClient } from "@metald/db";
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { EventPipeline } from "../events/event-pipeline.js";
import { registerComplianceRoutes } from "../http/compliance-routes.js";
import { registerComplianceMetrics } from "../metrics/compliance-metrics.js";
import { createComplianceMonitor } from "./compliance-monitor.js";
import { type ComplianceQueries, createComplianceQueries } from "./compliance-queries.js";
import { probeHostEvidence } from "./host-evidence-of.js";

export interface ComplianceDeps {
  db: SqlClient;
  driver: HostDriver;
  pipeline: Pick<EventPipeline, "prepare" | "announce" | "onStored">;
  tenantLayer?: (tenantId: string) => PolicyLayer | undefined;
  /** Called with a listener to run after each configuration reload. */
  onReload?: (listener: () => void) => void;
  metrics?: Registry;
  /** This host: its VMs are the ones evaluated here (a fleet shares the database). */
  hostId?: string;
}

export async function startCompliance(
  app: FastifyInstance,
  deps: ComplianceDeps,
): Promise<ComplianceQueries> {
  const repository = createComplianceRepository(deps.db, { hostId: deps.hostId });
  const monitor = createComplianceMonitor({
    compliance: repository,
    events: deps.pipeline,
    tenantLayer: deps.tenantLayer,
    now: () => new Date(),
    logger: app.log,
    metrics:
      deps.metrics &&
      registerComplianceMetrics(deps.metrics, () => repository.openViolationCounts()),
  });
  deps.pipeline.onStored((stored) => monitor.onStoredEvents(stored));
  monitor.setHost(await probeHostEvidence(deps.driver));
  // Not waited for: the server is ready once enforcement is (at 5,000 VMs this evaluation
  // reads and writes every VM's status). Compliance queries wait for it (monitor.settled), and
  // a failure is logged by the monitor and retried on the next change.
  monitor.reevaluateAll("start").catch(() => undefined);
  deps.onReload?.(() => {
    (async () => {
      monitor.setHost(await probeHostEvidence(deps.driver));
      await monitor.reevaluateChanged("configuration reload");
    })().catch((error: unknown) =>
      app.log.error({ err: error }, "re-evaluating compliance after the reload failed"),
    );
  });
  // Before the event pipeline closes (hooks run in reverse order): finish what is scheduled.
  app.addHook("onClose", async () => monitor.settled());
  const queries = createComplianceQueries({ repository, monitor, now: () => new Date() });
  registerComplianceRoutes(app, queries);
  return queries;
}
