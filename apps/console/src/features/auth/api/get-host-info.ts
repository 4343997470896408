// HostService.GetHostInfo: who the signed-in caller is (operator, tenant, auditor) and, for
// operators, the host. Read once per session; every page asks useCaller() what to show.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useSuspenseQuery } from "@connectrpc/connect-query";
import { HostService, PrincipalKind } from "@metald/proto";

export const getHostInfoMethod = HostService.method.getHostInfo;

export function getHostInfo(transport: Transport) {
  return callUnaryMethod(transport, getHostInfoMethod, {});
}

export function getHostInfoQueryOptions(transport: Transport) {
  return { ...createQueryOptions(getHostInfoMethod, {}, { transport }), staleTime: Infinity };
}

export function useHostInfo() {
  return useSuspenseQuery(getHostInfoMethod, {}, { staleTime: Infinity }).data;
}

export interface Caller {
  name: string;
  isOperator: boolean;
  isAuditor: boolean;
  /** Set when a tenant token signed in: everything is that tenant's. */
  tenantId: string | undefined;
  /** "operator", "tenant acme", "auditor" */
  description: string;
}

export function useCaller(): Caller {
  const caller = useHostInfo().caller;
  const kind = caller?.kind ?? PrincipalKind.UNSPECIFIED;
  const tenantId = kind === PrincipalKind.TENANT ? caller?.tenantId : undefined;
  return {
    name: caller?.name ?? "",
    isOperator: kind === PrincipalKind.OPERATOR,
    isAuditor: kind === PrincipalKind.AUDITOR,
    tenantId,
    description:
      tenantId !== undefined
        ? `tenant ${tenantId}`
        : kind === PrincipalKind.AUDITOR
          ? "auditor"
          : "operator",
  };
}
