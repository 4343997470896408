// Ipv6PoolService.CleanupAllocations (operators): releases every leaked allocation on the host
// (an address whose VM is gone, terminated or failed). With dry_run it only names them: the
// confirmation shows what the cleanup would release before anything is.
import type { Transport } from "@connectrpc/connect";
import {
  callUnaryMethod,
  createConnectQueryKey,
  skipToken,
  useMutation,
  useQuery,
} from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";
import { useQueryClient } from "@tanstack/react-query";

export const cleanupAllocationsMethod = Ipv6PoolService.method.cleanupAllocations;

export function cleanupAllocations(transport: Transport, dryRun: boolean) {
  return callUnaryMethod(transport, cleanupAllocationsMethod, { dryRun });
}

/** What a cleanup would release now (asked while the confirmation is open). */
export function useCleanupPreview(open: boolean) {
  return useQuery(cleanupAllocationsMethod, open ? { dryRun: true } : skipToken, {
    staleTime: 0,
    gcTime: 0,
  });
}

export function useCleanupAllocations() {
  const queryClient = useQueryClient();
  return useMutation(cleanupAllocationsMethod, {
    onSuccess: () =>
      queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema: Ipv6PoolService, cardinality: undefined }),
      }),
  });
}
