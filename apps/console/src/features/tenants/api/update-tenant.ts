// TenantService.UpdateTenant (operators): a tenant's name, tier, VLAN, prefix, bridge and
// namespace, checked as the REST route checks them (its defaults stay those of the host
// configuration); the tenant's page and lists read it again.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createConnectQueryKey, useMutation } from "@connectrpc/connect-query";
import { TenantService } from "@metald/proto";
import { useQueryClient } from "@tanstack/react-query";

export const updateTenantMethod = TenantService.method.updateTenant;

export function updateTenant(
  transport: Transport,
  input: MessageInitShape<(typeof updateTenantMethod)["input"]>,
) {
  return callUnaryMethod(transport, updateTenantMethod, input);
}

export function useUpdateTenant() {
  const queryClient = useQueryClient();
  return useMutation(updateTenantMethod, {
    onSuccess: () =>
      queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema: TenantService, cardinality: undefined }),
      }),
  });
}
