// What the topology draws, in three calls whatever the number of VMs: the tenants (each with its
// bridge and VLAN), the VMs (one ListVms page of up to 1,000, with state, profile and
// quarantine) and the open compliance violations (up to 1,000), counted per VM.
import { useQuery } from "@connectrpc/connect-query";
import { ComplianceService, TenantService, VmService } from "@metald/proto";
import { useMemo } from "react";
import { buildTopology } from "./topology-model";

export const TOPOLOGY_LIMIT = 1000;

export function useTopology() {
  const tenants = useQuery(TenantService.method.listTenants, {});
  const vms = useQuery(VmService.method.listVms, { pageSize: TOPOLOGY_LIMIT });
  const violations = useQuery(ComplianceService.method.listComplianceViolations, {
    pageSize: TOPOLOGY_LIMIT,
  });
  const queries = [tenants, vms, violations];
  const data = useMemo(
    () =>
      tenants.data && vms.data && violations.data
        ? buildTopology(tenants.data.tenants, vms.data.vms, violations.data.violations, {
            truncated: vms.data.nextPageToken !== "",
          })
        : undefined,
    [tenants.data, vms.data, violations.data],
  );
  return {
    data,
    isPending: queries.some((q) => q.isPending),
    error: queries.find((q) => q.isError)?.error,
    refetch: () => {
      for (const q of queries) void q.refetch();
    },
  };
}
