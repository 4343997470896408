// HostService.CountVms: how many VMs are in each state, counted by the database in one query
// (a tenant token: its own tenant's).
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { HostService, type VmState } from "@metald/proto";

export const countVmsMethod = HostService.method.countVms;

export function countVms(transport: Transport) {
  return callUnaryMethod(transport, countVmsMethod, {});
}

export function countVmsQueryOptions(transport: Transport) {
  return createQueryOptions(countVmsMethod, {}, { transport });
}

export interface VmCounts {
  total: number;
  byState: { state: VmState; count: number }[];
}

export function useVmCountsByState() {
  return useQuery(
    countVmsMethod,
    {},
    {
      select: (r): VmCounts => ({
        total: Number(r.total),
        byState: r.byState.map((s) => ({ state: s.state, count: Number(s.count) })),
      }),
    },
  );
}
