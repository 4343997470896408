// TenantService.GetTenant: one tenant (a tenant token: its own; another is not_found).
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { TenantService } from "@metald/proto";

export const getTenantMethod = TenantService.method.getTenant;

export function getTenant(transport: Transport, id: string) {
  return callUnaryMethod(transport, getTenantMethod, { id });
}

export function getTenantQueryOptions(transport: Transport, id: string) {
  return createQueryOptions(getTenantMethod, { id }, { transport });
}

export function useGetTenant(id: string) {
  return useQuery(getTenantMethod, { id });
}
