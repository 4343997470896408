// ConfigHistoryService.ListVmConfigVersions: a VM's configuration versions, newest first, a
// page at a time (who made each change and the controls it changed).
import type { Transport } from "@connectrpc/connect";
import {
  callUnaryMethod,
  createInfiniteQueryOptions,
  useInfiniteQuery,
} from "@connectrpc/connect-query";
import { ConfigHistoryService } from "@metald/proto";

export const listVmConfigVersionsMethod = ConfigHistoryService.method.listVmConfigVersions;

export const VERSIONS_PAGE_SIZE = 50;

export function listVmConfigVersions(transport: Transport, vmId: string, pageToken = "") {
  return callUnaryMethod(transport, listVmConfigVersionsMethod, {
    vmId,
    pageSize: VERSIONS_PAGE_SIZE,
    pageToken,
  });
}

const infinite = {
  pageParamKey: "pageToken",
  getNextPageParam: (last: { nextPageToken: string }) => last.nextPageToken || undefined,
} as const;

export function listVmConfigVersionsQueryOptions(transport: Transport, vmId: string) {
  return createInfiniteQueryOptions(
    listVmConfigVersionsMethod,
    { vmId, pageSize: VERSIONS_PAGE_SIZE, pageToken: "" },
    { ...infinite, transport },
  );
}

export function useListVmConfigVersions(vmId: string) {
  return useInfiniteQuery(
    listVmConfigVersionsMethod,
    { vmId, pageSize: VERSIONS_PAGE_SIZE, pageToken: "" },
    infinite,
  );
}
