// A VM change shows everywhere the VM appears: its own page and enforcement, the lists and
// counts, its tenant's VM count and its pool's allocations.
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { HostService, Ipv6PoolService, TenantService, VmService } from "@metald/proto";
import { type QueryClient, useQueryClient } from "@tanstack/react-query";

export function invalidateAfterVmChange(queryClient: QueryClient) {
  // HostService's VM counts and enforcement, not the caller's identity (read once a session).
  const services = [VmService, TenantService, Ipv6PoolService].map((schema) =>
    createConnectQueryKey({ schema, cardinality: undefined }),
  );
  const methods = [
    createConnectQueryKey({ schema: HostService.method.countVms, cardinality: undefined }),
    createConnectQueryKey({ schema: HostService.method.getVmEnforcement, cardinality: undefined }),
  ];
  return Promise.all(
    [...services, ...methods].map((queryKey) => queryClient.invalidateQueries({ queryKey })),
  );
}

export function useInvalidateAfterVmChange() {
  const queryClient = useQueryClient();
  return () => invalidateAfterVmChange(queryClient);
}
