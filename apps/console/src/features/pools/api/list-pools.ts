// Ipv6PoolService.ListPools: every pool for operators; a tenant token, its own tenant's pools.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";

export const listPoolsMethod = Ipv6PoolService.method.listPools;

export function listPools(transport: Transport) {
  return callUnaryMethod(transport, listPoolsMethod, {});
}

export function listPoolsQueryOptions(transport: Transport) {
  return createQueryOptions(listPoolsMethod, {}, { transport });
}

export function useListPools() {
  return useQuery(listPoolsMethod, {});
}
