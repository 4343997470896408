// How many VMs are in each state: ListVms with one VM per page reads each state's total.
import type { Transport } from "@connectrpc/connect";
import { createQueryOptions, useTransport } from "@connectrpc/connect-query";
import { VmService, VmState } from "@metald/proto";
import { useQueries } from "@tanstack/react-query";

export const COUNTED_STATES = [
  VmState.RUNNING,
  VmState.CREATED,
  VmState.SHUTDOWN,
  VmState.PAUSED,
  VmState.FAILED,
  VmState.TERMINATED,
] as const;

export function countVmsByStateQueries(transport: Transport) {
  return [VmState.UNSPECIFIED, ...COUNTED_STATES].map((state) =>
    createQueryOptions(VmService.method.listVms, { state, pageSize: 1 }, { transport }),
  );
}

export interface VmCounts {
  total: number;
  byState: { state: VmState; count: number }[];
}

export function useVmCountsByState() {
  const transport = useTransport();
  return useQueries({
    queries: countVmsByStateQueries(transport),
    combine: (results) => {
      const failed = results.find((r) => r.isError);
      const [all, ...states] = results;
      const data: VmCounts | undefined = results.every((r) => r.isSuccess)
        ? {
            total: all?.data?.totalCount ?? 0,
            byState: COUNTED_STATES.map((state, i) => ({
              state,
              count: states[i]?.data?.totalCount ?? 0,
            })),
          }
        : undefined;
      return {
        data,
        isPending: results.some((r) => r.isPending),
        error: failed?.error,
        refetch: () => Promise.all(results.map((r) => r.refetch())),
      };
    },
  });
}
