// TenantService.ListTenants: every tenant for operators, its own for a tenant token.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { TenantService } from "@metald/proto";

export const listTenantsMethod = TenantService.method.listTenants;

export function listTenants(transport: Transport) {
  return callUnaryMethod(transport, listTenantsMethod, {});
}

export function listTenantsQueryOptions(transport: Transport) {
  return createQueryOptions(listTenantsMethod, {}, { transport });
}

export function useListTenants() {
  return useQuery(listTenantsMethod, {});
}
