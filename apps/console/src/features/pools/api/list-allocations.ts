// Ipv6PoolService.ListAllocations: the addresses handed out from a pool (a tenant token: those
// of its own VMs and pools), leaked ones marked.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";

export const listAllocationsMethod = Ipv6PoolService.method.listAllocations;

export function listAllocations(transport: Transport, poolId: string) {
  return callUnaryMethod(transport, listAllocationsMethod, { poolId });
}

export function listAllocationsQueryOptions(transport: Transport, poolId: string) {
  return createQueryOptions(listAllocationsMethod, { poolId }, { transport });
}

export function useListAllocations(poolId: string) {
  return useQuery(listAllocationsMethod, { poolId });
}
