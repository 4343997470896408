// VmService.GetVm: the VM as submitted, its state, interfaces and effective settings.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";

export const getVmMethod = VmService.method.getVm;

export function getVm(transport: Transport, vmId: string) {
  return callUnaryMethod(transport, getVmMethod, { vmId });
}

export function getVmQueryOptions(transport: Transport, vmId: string) {
  return createQueryOptions(getVmMethod, { vmId }, { transport });
}

export function useGetVm(vmId: string) {
  return useQuery(getVmMethod, { vmId });
}
