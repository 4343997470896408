// TenantService.ListTenants, for the tenant choices of the VM filters and the create form.
import { useQuery } from "@connectrpc/connect-query";
import { TenantService } from "@metald/proto";

export function useTenantIds(enabled: boolean): string[] {
  const { data } = useQuery(TenantService.method.listTenants, {}, { enabled });
  return data?.tenants.map((t) => t.id) ?? [];
}
