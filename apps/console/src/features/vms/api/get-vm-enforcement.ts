// HostService.GetVmEnforcement: per control the exact counters of the VM's set elements at the
// kernel's last reading, and the elements themselves. The server reads the kernel every 2 s
// (the counter poller), so the page asks as often and the counters move as packets are dropped.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { HostService } from "@metald/proto";

export const getVmEnforcementMethod = HostService.method.getVmEnforcement;

/** How often the page asks again: the server's counter reading interval. */
export const ENFORCEMENT_REFRESH_MS = 2_000;

export function getVmEnforcement(transport: Transport, vmId: string) {
  return callUnaryMethod(transport, getVmEnforcementMethod, { vmId });
}

export function getVmEnforcementQueryOptions(transport: Transport, vmId: string) {
  return createQueryOptions(getVmEnforcementMethod, { vmId }, { transport });
}

export function useGetVmEnforcement(vmId: string, refreshMs = ENFORCEMENT_REFRESH_MS) {
  return useQuery(getVmEnforcementMethod, { vmId }, { refetchInterval: refreshMs, staleTime: 0 });
}
