// Ipv6PoolService.ListPools for the overview's utilization (the same query as the pools page).
import { useQuery } from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";

export function usePoolUtilization() {
  return useQuery(Ipv6PoolService.method.listPools, {});
}
