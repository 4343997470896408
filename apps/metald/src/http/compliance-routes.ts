// Compliance over REST, mirroring ComplianceService:
//   GET /api/v1/compliance/vms/{id}  → the VM's status, every requirement's outcome, open violations
//   GET /api/v1/compliance/report?framework=&customer_id=&start=&end=&format=json|html
//       → per framework and tenant, each requirement with its evidence; format=html is a
//         printable page. A tenant token sees its own tenant only.
import { type ComplianceFramework, FieldError, parseFrameworkName } from "@metald/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { reportJson, vmStatusJson } from "../compliance/compliance-json.js";
import { type ComplianceQueries, scopedTenant } from "../compliance/compliance-queries.js";
import { complianceReportHtml } from "../compliance/compliance-report-html.js";
import { REPORT_DEFAULT_DAYS } from "../connect/compliance-service.js";
import { sendError } from "./http-errors.js";
import { parseTime } from "./query-params.js";

type Query = Record<string, string | undefined>;

const FORMATS = ["json", "html"];

const ownTenant = (req: FastifyRequest) =>
  req.principal?.kind === "tenant" ? req.principal.tenantId : undefined;

function parseFramework(value: string | undefined): ComplianceFramework | undefined {
  if (value === undefined || value === "") return undefined;
  return parseFrameworkName(value, "framework");
}

export function registerComplianceRoutes(app: FastifyInstance, queries: ComplianceQueries): void {
  app.get<{ Params: { id: string } }>("/api/v1/compliance/vms/:id", async (req, reply) => {
    try {
      const { record, violations } = await queries.vm(req.params.id, ownTenant(req));
      return vmStatusJson(record, violations);
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Querystring: Query }>("/api/v1/compliance/report", async (req, reply) => {
    try {
      const q = req.query;
      const format = q.format || "json";
      if (!FORMATS.includes(format)) throw new FieldError("format", "must be json or html");
      const end = parseTime(q.end, "end") ?? new Date();
      const start =
        parseTime(q.start, "start") ?? new Date(end.getTime() - REPORT_DEFAULT_DAYS * 86_400_000);
      const report = await queries.report({
        framework: parseFramework(q.framework),
        tenantId: scopedTenant(ownTenant(req), q.customer_id),
        start,
        end,
      });
      if (format === "html")
        return reply
          .type("text/html; charset=utf-8")
          .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'")
          .send(complianceReportHtml(report));
      return reportJson(report);
    } catch (error) {
      return sendError(reply, error);
    }
  });
}
