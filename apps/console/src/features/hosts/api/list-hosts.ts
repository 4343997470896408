// HostService.ListHosts: the fleet's registered hosts (operators and auditors), each with its
// last heartbeat and whether it is stale, judged by the answering host. Asked again every
// 10 seconds, so that a host that stops turns stale on the page without a reload.
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { HostService } from "@metald/proto";

export const listHostsMethod = HostService.method.listHosts;

export const HOSTS_REFRESH_MS = 10_000;

export function listHosts(transport: Transport) {
  return callUnaryMethod(transport, listHostsMethod, {});
}

export function listHostsQueryOptions(transport: Transport) {
  return createQueryOptions(listHostsMethod, {}, { transport });
}

export function useHosts() {
  return useQuery(listHostsMethod, {}, { refetchInterval: HOSTS_REFRESH_MS });
}
