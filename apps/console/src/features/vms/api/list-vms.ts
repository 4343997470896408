// VmService.ListVms: one page of VMs, filtered by state and tenant (a tenant token always gets
// its own, whatever it asks).
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { type ListVmsRequestSchema, VmService } from "@metald/proto";
import { keepPreviousData } from "@tanstack/react-query";

export type ListVmsInput = MessageInitShape<typeof ListVmsRequestSchema>;

export const listVmsMethod = VmService.method.listVms;

export function listVms(transport: Transport, input: ListVmsInput) {
  return callUnaryMethod(transport, listVmsMethod, input);
}

export function listVmsQueryOptions(transport: Transport, input: ListVmsInput) {
  return createQueryOptions(listVmsMethod, input, { transport });
}

export function useListVms(input: ListVmsInput) {
  // The previous page stays on screen while the next one loads.
  return useQuery(listVmsMethod, input, { placeholderData: keepPreviousData });
}
