// Ipv6PoolService.GetPool: one pool (a tenant token: one of its own; another is not_found).
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";

export const getPoolMethod = Ipv6PoolService.method.getPool;

export function getPool(transport: Transport, id: string) {
  return callUnaryMethod(transport, getPoolMethod, { id });
}

export function getPoolQueryOptions(transport: Transport, id: string) {
  return createQueryOptions(getPoolMethod, { id }, { transport });
}

export function useGetPool(id: string) {
  return useQuery(getPoolMethod, { id });
}
