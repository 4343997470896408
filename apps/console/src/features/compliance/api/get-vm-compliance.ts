// ComplianceService.GetComplianceStatus for each VM of a page: every requirement of the VM's
// frameworks with its outcome, folded into one status per framework for the matrix. One call per
// VM shown (a page of VMs), never one per VM of the host.
import type { Transport } from "@connectrpc/connect";
import { createQueryOptions, useTransport } from "@connectrpc/connect-query";
import {
  ComplianceFramework,
  ComplianceOutcome,
  ComplianceService,
  type GetComplianceStatusResponse,
} from "@metald/proto";
import { useQueries } from "@tanstack/react-query";

export const getComplianceStatusMethod = ComplianceService.method.getComplianceStatus;

export const FRAMEWORKS: readonly { framework: ComplianceFramework; label: string }[] = [
  { framework: ComplianceFramework.SOC2, label: "SOC 2" },
  { framework: ComplianceFramework.PCI_DSS, label: "PCI DSS" },
  { framework: ComplianceFramework.GDPR, label: "GDPR" },
  { framework: ComplianceFramework.HIPAA, label: "HIPAA" },
  { framework: ComplianceFramework.ISO27001, label: "ISO 27001" },
];

export function frameworkLabel(f: ComplianceFramework): string {
  return FRAMEWORKS.find((x) => x.framework === f)?.label ?? "Unknown framework";
}

export type FrameworkStatus = "compliant" | "non_compliant" | "pending" | "not_required";

export interface FrameworkCell {
  status: FrameworkStatus;
  /** Requirements violated or not enforced. */
  violated: number;
}

/** One VM's status per framework: any violated requirement makes it non-compliant. */
export function statusByFramework(
  res: GetComplianceStatusResponse,
): Map<ComplianceFramework, FrameworkCell> {
  const cells = new Map<ComplianceFramework, FrameworkCell>();
  for (const f of res.frameworks) cells.set(f, { status: "compliant", violated: 0 });
  for (const r of res.requirements) {
    const cell = cells.get(r.framework);
    if (!cell) continue;
    if (r.outcome === ComplianceOutcome.VIOLATED || r.outcome === ComplianceOutcome.NOT_ENFORCED) {
      cell.status = "non_compliant";
      cell.violated++;
    } else if (r.outcome === ComplianceOutcome.PENDING && cell.status === "compliant") {
      cell.status = "pending";
    }
  }
  return cells;
}

export function getVmComplianceQueryOptions(transport: Transport, vmId: string) {
  return createQueryOptions(getComplianceStatusMethod, { vmId }, { transport });
}

export function useVmsCompliance(vmIds: readonly string[]) {
  const transport = useTransport();
  return useQueries({
    queries: vmIds.map((vmId) => getVmComplianceQueryOptions(transport, vmId)),
  });
}
