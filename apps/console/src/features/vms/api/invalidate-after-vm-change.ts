// A VM change shows everywhere the VM appears: its own page, the lists and counts, its tenant's
// VM count and its pool's allocations.
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { Ipv6PoolService, TenantService, VmService } from "@metald/proto";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";

export function invalidateAfterVmChange(queryClient: QueryClient) {
  return Promise.all(
    [VmService, TenantService, Ipv6PoolService].map((schema) =>
      queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema, cardinality: undefined }),
      }),
    ),
  );
}

export function useInvalidateAfterVmChange() {
  const queryClient = useQueryClient();
  return () => invalidateAfterVmChange(queryClient);
}
