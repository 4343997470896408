// ConfigHistoryService.DiffVmConfigVersions: what changed between two versions, path by path.
import type { Transport } from "@connectrpc/connect";
import {
  callUnaryMethod,
  createQueryOptions,
  skipToken,
  useQuery,
} from "@connectrpc/connect-query";
import { ConfigHistoryService } from "@metald/proto";

export const diffVmConfigVersionsMethod = ConfigHistoryService.method.diffVmConfigVersions;

export interface VersionPair {
  vmId: string;
  fromVersion: number;
  toVersion: number;
}

export function diffVmConfigVersions(transport: Transport, pair: VersionPair) {
  return callUnaryMethod(transport, diffVmConfigVersionsMethod, pair);
}

export function diffVmConfigVersionsQueryOptions(transport: Transport, pair: VersionPair) {
  return createQueryOptions(diffVmConfigVersionsMethod, pair, { transport });
}

/** Versions are immutable: a diff, once read, stays true. Nothing is asked without a pair. */
export function useDiffVmConfigVersions(pair: VersionPair | undefined) {
  return useQuery(diffVmConfigVersionsMethod, pair ?? skipToken, { staleTime: Infinity });
}
