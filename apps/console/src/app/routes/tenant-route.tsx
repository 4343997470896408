// The tenant page: the tenant's settings (tenants feature) over its VMs (vms feature); the two
// features meet here, at the application level.
import { useState } from "react";
import { useCaller } from "../../features/auth/api/get-host-info";
import { TenantDetails, useTenantIdParam } from "../../features/tenants/components/tenant-details";
import { type VmFilters, VmListSection } from "../../features/vms/components/vm-list-section";

export function TenantRoute() {
  const tenantId = useTenantIdParam();
  const caller = useCaller();
  const [filters, setFilters] = useState<VmFilters>({ state: "", tenant: "" });
  return (
    <>
      <TenantDetails />
      <VmListSection
        key={tenantId}
        title={`VMs of ${tenantId}`}
        fixedTenant={tenantId}
        canChooseTenant={caller.isOperator}
        filters={filters}
        onFiltersChange={setFilters}
      />
    </>
  );
}
