// Compliance records as vmprovisioner.v1 messages.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type ComplianceFramework,
  type ComplianceOutcome,
  type ComplianceStatusName,
  type DatedFinding,
  type EvidenceKind,
  findRule,
} from "@metald/core";
import type { ViolationRecord } from "@metald/db";
import {
  ComplianceEvidence,
  type ComplianceRequirementResult,
  ComplianceRequirementResultSchema,
  ComplianceState,
  type ComplianceViolation,
  ComplianceViolationSchema,
  EventSeverity,
  ComplianceFramework as ProtoFramework,
  ComplianceOutcome as ProtoOutcome,
} from "@metald/proto";

export const FRAMEWORK_TO_PROTO: Record<ComplianceFramework, ProtoFramework> = {
  SOC2: ProtoFramework.SOC2,
  PCI_DSS: ProtoFramework.PCI_DSS,
  GDPR: ProtoFramework.GDPR,
  HIPAA: ProtoFramework.HIPAA,
  ISO27001: ProtoFramework.ISO27001,
};

export const STATE_TO_PROTO: Record<ComplianceStatusName, ComplianceState> = {
  COMPLIANT: ComplianceState.COMPLIANT,
  NON_COMPLIANT: ComplianceState.NON_COMPLIANT,
  PENDING_AUDIT: ComplianceState.PENDING_AUDIT,
};

const OUTCOME_TO_PROTO: Record<ComplianceOutcome, ProtoOutcome> = {
  met: ProtoOutcome.MET,
  violated: ProtoOutcome.VIOLATED,
  not_enforced: ProtoOutcome.NOT_ENFORCED,
  pending: ProtoOutcome.PENDING,
};

export const EVIDENCE_TO_PROTO: Record<EvidenceKind, ComplianceEvidence> = {
  host: ComplianceEvidence.HOST,
  control_plane: ComplianceEvidence.CONTROL_PLANE,
  declared: ComplianceEvidence.DECLARED,
};

export const severityToProto = (s: string): EventSeverity =>
  s === "warning"
    ? EventSeverity.WARNING
    : s === "error"
      ? EventSeverity.ERROR
      : EventSeverity.INFO;

const frameworkToProto = (f: string): ProtoFramework =>
  FRAMEWORK_TO_PROTO[f as ComplianceFramework] ?? ProtoFramework.UNSPECIFIED;

export function violationToProto(v: ViolationRecord): ComplianceViolation {
  const rule = findRule(v.framework, v.requirement);
  return create(ComplianceViolationSchema, {
    framework: frameworkToProto(v.framework),
    requirement: v.requirement,
    description: v.detail,
    severity: severityToProto(v.severity),
    timestamp: timestampFromDate(v.openedAt),
    vmId: v.vmId,
    customerId: v.tenantId,
    title: rule?.title ?? "",
    outcome: OUTCOME_TO_PROTO[v.outcome as ComplianceOutcome] ?? ProtoOutcome.UNSPECIFIED,
    fixFields: rule?.fields ?? [],
    configVersion: v.openedConfigVersion ?? 0,
    resolvedAt: v.resolvedAt ? timestampFromDate(v.resolvedAt) : undefined,
    resolution: v.resolution ?? "",
  });
}

export function findingToProto(f: DatedFinding): ComplianceRequirementResult {
  const rule = findRule(f.framework, f.requirement);
  return create(ComplianceRequirementResultSchema, {
    framework: frameworkToProto(f.framework),
    requirement: f.requirement,
    title: rule?.title ?? "",
    outcome: OUTCOME_TO_PROTO[f.outcome],
    detail: f.detail,
    severity: severityToProto(rule?.severity ?? "error"),
    evidence: rule ? EVIDENCE_TO_PROTO[rule.evidence] : ComplianceEvidence.UNSPECIFIED,
    since: timestampFromDate(new Date(f.since)),
    configVersion: f.configVersion ?? 0,
    interfaces: f.interfaces,
    fixFields: rule?.fields ?? [],
  });
}

export const frameworksToProto = (frameworks: readonly string[]): ProtoFramework[] =>
  frameworks.map(frameworkToProto);
