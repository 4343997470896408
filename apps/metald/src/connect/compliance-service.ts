// vmprovisioner.v1.ComplianceService: a VM's or a tenant's compliance status, violations, and a
// report per framework. A tenant token sees its own tenant only; auditors and operators read all.
// VerifyAuditTrail walks the audit trail's hash chain and signed checkpoints (operators and
// auditors: the chain spans every tenant).
import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { type ComplianceFramework, FieldError, rulesOf, unpackFindings } from "@metald/core";
import type { AuditVerification } from "@metald/db";
import {
  ComplianceRequirementSummarySchema,
  type ComplianceService,
  ComplianceState,
  ComplianceTenantSummarySchema,
  ComplianceFramework as ProtoFramework,
} from "@metald/proto";
import { PRINCIPAL } from "../auth/principal-context.js";
import {
  EVIDENCE_TO_PROTO,
  FRAMEWORK_TO_PROTO,
  findingToProto,
  frameworksToProto,
  STATE_TO_PROTO,
  severityToProto,
  violationToProto,
} from "../compliance/compliance-proto.js";
import { type ComplianceQueries, scopedTenant } from "../compliance/compliance-queries.js";
import { guarded } from "./to-connect-error.js";

/** Reports cover the last 30 days unless a start is given. */
export const REPORT_DEFAULT_DAYS = 30;

function ownTenant(ctx: HandlerContext): string | undefined {
  const p = ctx.values.get(PRINCIPAL);
  return p?.kind === "tenant" ? p.tenantId : undefined;
}

function frameworkOf(f: ProtoFramework, path = "framework"): ComplianceFramework | undefined {
  if (f === ProtoFramework.UNSPECIFIED) return undefined;
  const name = (Object.keys(FRAMEWORK_TO_PROTO) as ComplianceFramework[]).find(
    (k) => FRAMEWORK_TO_PROTO[k] === f,
  );
  if (!name) throw new FieldError(path, `${f} is not a compliance framework`);
  return name;
}

const dateOf = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined);

export function parsePageToken(token: string): string | undefined {
  if (token === "") return undefined;
  if (!/^[0-9]{1,19}$/.test(token))
    throw new FieldError("page_token", "is not a token this server issued");
  return token;
}

export function createComplianceServiceImpl(
  queries: ComplianceQueries,
  verifyAuditTrail?: () => Promise<AuditVerification>,
): ServiceImpl<typeof ComplianceService> {
  return {
    getComplianceStatus: (req, ctx) =>
      guarded(async () => {
        const own = ownTenant(ctx);
        if (req.vmId !== "") {
          const asked = scopedTenant(own, req.customerId);
          const { record, violations } = await queries.vm(req.vmId, asked);
          return {
            frameworks: frameworksToProto(record.frameworks),
            status: STATE_TO_PROTO[record.status],
            lastAudit: timestampFromDate(record.evaluatedAt),
            since: timestampFromDate(record.since),
            violations: violations.map(violationToProto),
            vmId: record.vmId,
            customerId: record.tenantId,
            requirements: unpackFindings(record.findings).map(findingToProto),
            vmsChecked: 1,
            vmsNonCompliant: record.status === "NON_COMPLIANT" ? 1 : 0,
            vmsPendingAudit: record.status === "PENDING_AUDIT" ? 1 : 0,
          };
        }
        const tenantId = scopedTenant(own, req.customerId);
        if (tenantId === undefined)
          throw new FieldError("vm_id", "give vm_id or customer_id (a tenant's status)");
        const t = await queries.tenant(tenantId);
        return {
          frameworks: frameworksToProto(t.frameworks),
          // A tenant none of whose VMs was evaluated has nothing to violate.
          status: t.record ? STATE_TO_PROTO[t.record.status] : ComplianceState.COMPLIANT,
          lastAudit: t.record && timestampFromDate(t.record.evaluatedAt),
          since: t.record && timestampFromDate(t.record.since),
          violations: t.violations.map(violationToProto),
          customerId: tenantId,
          vmsChecked: t.record?.vmsChecked ?? 0,
          vmsNonCompliant: t.record?.vmsNonCompliant ?? 0,
          vmsPendingAudit: t.record?.vmsPendingAudit ?? 0,
        };
      }),

    listComplianceViolations: (req, ctx) =>
      guarded(async () => {
        if (req.pageSize > 1000) throw new FieldError("page_size", "must be at most 1000");
        const limit = req.pageSize || 100;
        const page = await queries.violations({
          scope: ownTenant(ctx),
          tenantId: scopedTenant(undefined, req.customerId),
          vmId: req.vmId || undefined,
          framework: frameworkOf(req.framework),
          includeResolved: req.includeResolved,
          beforeId: parsePageToken(req.pageToken),
          limit,
        });
        return {
          violations: page.map(violationToProto),
          nextPageToken: page.length === limit ? (page[page.length - 1]?.id ?? "") : "",
        };
      }),

    getComplianceReport: (req, ctx) =>
      guarded(async () => {
        const end = dateOf(req.endTime) ?? new Date();
        const start =
          dateOf(req.startTime) ?? new Date(end.getTime() - REPORT_DEFAULT_DAYS * 86_400_000);
        if (start > end) throw new FieldError("start_time", "is after end_time");
        const tenantId = scopedTenant(ownTenant(ctx), req.customerId);
        const report = await queries.report({
          framework: frameworkOf(req.framework),
          tenantId,
          start,
          end,
        });
        const requirements = report.frameworks.flatMap((f) =>
          rulesOf(f.framework).map((rule) => {
            const sum = (k: "met" | "violated" | "pending") =>
              f.tenants.reduce(
                (n, t) =>
                  n +
                  (t.requirements.find((r) => r.rule.requirement === rule.requirement)?.[k] ?? 0),
                0,
              );
            return create(ComplianceRequirementSummarySchema, {
              framework: FRAMEWORK_TO_PROTO[rule.framework],
              requirement: rule.requirement,
              title: rule.title,
              description: rule.description,
              severity: severityToProto(rule.severity),
              evidence: EVIDENCE_TO_PROTO[rule.evidence],
              fixFields: rule.fields,
              vmsMet: sum("met"),
              vmsViolated: sum("violated"),
              vmsPendingAudit: sum("pending"),
            });
          }),
        );
        const { summary } = report;
        return {
          framework: req.framework,
          status: STATE_TO_PROTO[summary.status],
          vmsChecked: summary.vmsChecked,
          vmsCompliant: summary.vmsCompliant,
          vmsPendingAudit: summary.vmsPendingAudit,
          violations: report.frameworks.flatMap((f) =>
            f.tenants.flatMap((t) => t.violations.map((v) => violationToProto(v.violation))),
          ),
          generatedAt: timestampFromDate(report.generatedAt),
          startTime: timestampFromDate(start),
          endTime: timestampFromDate(end),
          customerId: tenantId ?? "",
          requirements,
          tenants: summary.tenants.map((t) =>
            create(ComplianceTenantSummarySchema, {
              customerId: t.tenantId,
              status: STATE_TO_PROTO[t.status],
              since: t.overall && timestampFromDate(t.overall.since),
              vmsChecked: t.vmsChecked,
              vmsCompliant: t.vmsCompliant,
            }),
          ),
        };
      }),

    verifyAuditTrail: (_req, ctx) =>
      guarded(async () => {
        if (ownTenant(ctx) !== undefined)
          throw new ConnectError(
            "the audit trail spans every tenant: VerifyAuditTrail is for operator and auditor tokens",
            Code.PermissionDenied,
          );
        if (!verifyAuditTrail)
          throw new ConnectError("this server keeps no audit trail", Code.Unimplemented);
        const v = await verifyAuditTrail();
        const broken = v.firstBroken;
        return {
          intact: v.intact,
          recordsChecked: BigInt(v.recordsChecked),
          firstBrokenRecord: broken
            ? `seq ${broken.seq}${broken.id ? ` (record ${broken.id})` : ""}: ${broken.problem}`
            : "",
        };
      }),
  };
}
