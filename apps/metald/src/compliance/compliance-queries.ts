// What the compliance API answers, shared by ComplianceService and the REST routes: a VM's or a
// tenant's status with its open violations, violation lists and reports, each scoped to the
// caller's tenant when the caller is one (another tenant's VM is not_found, as a missing one).
// Every answer waits for the evaluations already scheduled, so a change is seen by the next read.
import { Code, ConnectError } from "@connectrpc/connect";
import { type ComplianceFramework, checkIdentifier, FieldError } from "@metald/core";
import type {
  ComplianceRepository,
  TenantComplianceRecord,
  ViolationRecord,
  VmComplianceRecord,
} from "@metald/db";
import type { ComplianceMonitor } from "./compliance-monitor.js";
import { buildComplianceReport, type ComplianceReport } from "./compliance-report.js";

export interface TenantCompliance {
  tenantId: string;
  /** Undefined while none of its VMs has been evaluated. */
  record?: TenantComplianceRecord;
  frameworks: string[];
  violations: ViolationRecord[];
}

export interface ComplianceQueries {
  vm(
    vmId: string,
    scope: string | undefined,
  ): Promise<{
    record: VmComplianceRecord;
    violations: ViolationRecord[];
  }>;
  tenant(tenantId: string): Promise<TenantCompliance>;
  violations(filter: {
    scope: string | undefined;
    tenantId?: string;
    vmId?: string;
    framework?: ComplianceFramework;
    includeResolved: boolean;
    beforeId?: string;
    limit: number;
  }): Promise<ViolationRecord[]>;
  report(request: {
    framework?: ComplianceFramework;
    tenantId?: string;
    start: Date;
    end: Date;
  }): Promise<ComplianceReport>;
}

/** Open violations shown with a status at most. */
const STATUS_VIOLATIONS = 1_000;

export const vmNotFound = (vmId: string) =>
  new ConnectError(`vm ${JSON.stringify(vmId)} not found`, Code.NotFound);

/** A tenant id from a request, checked; the caller's own when the caller is a tenant. */
export function scopedTenant(
  scope: string | undefined,
  asked: string | undefined,
  path = "customer_id",
): string | undefined {
  if (scope !== undefined) return scope;
  if (asked === undefined || asked === "") return undefined;
  return checkIdentifier(asked, path);
}

export function createComplianceQueries(deps: {
  repository: ComplianceRepository;
  monitor: Pick<ComplianceMonitor, "settled">;
  now: () => Date;
}): ComplianceQueries {
  const { repository } = deps;
  return {
    async vm(vmId, scope) {
      if (vmId === "") throw new FieldError("vm_id", "is required");
      if (vmId.length > 128) throw new FieldError("vm_id", "is longer than 128 characters");
      await deps.monitor.settled();
      const record = await repository.vmStatus(vmId);
      if (!record || (scope !== undefined && record.tenantId !== scope)) throw vmNotFound(vmId);
      const violations = await repository.listViolations({ vmId, limit: STATUS_VIOLATIONS });
      return { record, violations };
    },

    async tenant(tenantId) {
      await deps.monitor.settled();
      const [record, vms, violations] = await Promise.all([
        repository.tenantStatus(tenantId),
        repository.vmStatuses({ tenantId }),
        repository.listViolations({ tenantId, limit: STATUS_VIOLATIONS }),
      ]);
      const frameworks = [...new Set(vms.flatMap((v) => v.frameworks))];
      return { tenantId, record, frameworks, violations };
    },

    async violations(f) {
      await deps.monitor.settled();
      // Scoped by tenant: another tenant's VM lists nothing, exactly as one that never existed.
      return repository.listViolations({
        tenantId: f.scope ?? f.tenantId,
        vmId: f.vmId,
        framework: f.framework,
        includeResolved: f.includeResolved,
        beforeId: f.beforeId,
        limit: f.limit,
      });
    },

    async report(request) {
      if (request.start > request.end) throw new FieldError("start", "is after end");
      await deps.monitor.settled();
      return buildComplianceReport(repository, request, deps.now());
    },
  };
}
