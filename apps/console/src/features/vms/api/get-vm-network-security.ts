// VmService.GetVmNetworkSecurity: each interface's effective security settings and the layer
// (default, profile, tenant, request) each value came from.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { VmService } from "@metald/proto";

export const getVmNetworkSecurityMethod = VmService.method.getVmNetworkSecurity;

export function getVmNetworkSecurity(transport: Transport, vmId: string) {
  return callUnaryMethod(transport, getVmNetworkSecurityMethod, { vmId });
}

export function getVmNetworkSecurityQueryOptions(transport: Transport, vmId: string) {
  return createQueryOptions(getVmNetworkSecurityMethod, { vmId }, { transport });
}

export function useGetVmNetworkSecurity(vmId: string) {
  return useQuery(getVmNetworkSecurityMethod, { vmId });
}
