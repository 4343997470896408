// TenantService.ListTenants for the overview's tenant count (the same query as the tenants page).
import { useQuery } from "@connectrpc/connect-query";
import { TenantService } from "@metald/proto";

export function useTenantCount() {
  const query = useQuery(TenantService.method.listTenants, {});
  return { ...query, count: query.data?.tenants.length };
}
