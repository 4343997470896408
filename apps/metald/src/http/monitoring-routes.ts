// Enhanced monitoring, as the troubleshooting guide asks for it during an investigation:
//   POST /debug/security/enhance-monitoring {tenant_id, duration: "24h", log_level: "DEBUG"}
// samples the tenant's dropped packets at the boosted rate until the duration ends.
//   GET /debug/security/enhance-monitoring → the enhancements in force.
import { checkIdentifier, FieldError } from "@metald/core";
import type { FastifyInstance } from "fastify";
import type { EventInput } from "../events/event-pipeline.js";
import type { PacketSampling } from "../events/packet-sampling.js";
import { sendError } from "./http-errors.js";
import { durationMs } from "./query-params.js";
import { jsonObjectBody } from "./request-body.js";

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"];
const MAX_DURATION_MS = 30 * 86_400_000;

function readEnhancement(body: Record<string, unknown>) {
  const tenantId = body.tenant_id ?? body.customer_id;
  if (typeof tenantId !== "string") throw new FieldError("tenant_id", "is required");
  checkIdentifier(tenantId, "tenant_id");
  const duration = body.duration ?? "1h";
  const ms = typeof duration === "string" ? durationMs(duration) : undefined;
  if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS)
    throw new FieldError("duration", "must be a duration such as 30m, 24h or 7d, at most 30d");
  const logLevel = String(body.log_level ?? "DEBUG").toUpperCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new FieldError("log_level", `must be one of ${LOG_LEVELS.join(", ")}`);
  return { tenantId, ms, logLevel };
}

export function registerMonitoringRoutes(
  app: FastifyInstance,
  deps: { sampling: () => PacketSampling | undefined; emit: (events: EventInput[]) => void },
): void {
  app.post<{ Body: unknown }>("/debug/security/enhance-monitoring", async (req, reply) => {
    let asked: ReturnType<typeof readEnhancement>;
    try {
      asked = readEnhancement(jsonObjectBody(req.body));
    } catch (error) {
      return sendError(reply, error);
    }
    const { tenantId, ms, logLevel } = asked;
    const sampling = deps.sampling();
    if (!sampling)
      return reply.code(409).send({
        code: "failed_precondition",
        message: "packet sampling needs the sandbox or linux driver; this server runs dry-run",
      });
    const until = new Date(Date.now() + ms);
    const applied = await sampling.enhance({ tenantId, until, logLevel });
    deps.emit([
      {
        vmId: null,
        customerId: tenantId,
        eventType: "monitoring_enhanced",
        severity: "info",
        description: `packet sampling raised for tenant ${tenantId} until ${until.toISOString()}`,
        details: { until: until.toISOString(), log_level: logLevel, ...applied },
      },
    ]);
    return {
      tenant_id: tenantId,
      until: until.toISOString(),
      log_level: logLevel,
      ports: applied.ports,
      addresses: applied.addresses,
    };
  });

  app.get("/debug/security/enhance-monitoring", async () =>
    (deps.sampling()?.enhancements() ?? []).map((e) => ({
      tenant_id: e.tenantId,
      until: e.until.toISOString(),
      log_level: e.logLevel,
    })),
  );
}
