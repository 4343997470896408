// Ipv6PoolService.UpdatePool (operators): a pool's prefix, description, tenant and rate limit,
// checked as the REST route checks them; the pool's page and lists read it again.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createConnectQueryKey, useMutation } from "@connectrpc/connect-query";
import { Ipv6PoolService } from "@metald/proto";
import { useQueryClient } from "@tanstack/react-query";

export const updatePoolMethod = Ipv6PoolService.method.updatePool;

export function updatePool(
  transport: Transport,
  input: MessageInitShape<(typeof updatePoolMethod)["input"]>,
) {
  return callUnaryMethod(transport, updatePoolMethod, input);
}

export function useUpdatePool() {
  const queryClient = useQueryClient();
  return useMutation(updatePoolMethod, {
    onSuccess: () =>
      queryClient.invalidateQueries({
        queryKey: createConnectQueryKey({ schema: Ipv6PoolService, cardinality: undefined }),
      }),
  });
}
