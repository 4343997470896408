// SecurityEventService.ListSecurityEvents: one page of the stored event log, oldest first within
// the filters (tenant, VM, type, severity, time range); a tenant token sees its own events only.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { type ListSecurityEventsRequestSchema, SecurityEventService } from "@metald/proto";
import { keepPreviousData } from "@tanstack/react-query";

export type ListSecurityEventsInput = MessageInitShape<typeof ListSecurityEventsRequestSchema>;

export const listSecurityEventsMethod = SecurityEventService.method.listSecurityEvents;

export function listSecurityEvents(transport: Transport, input: ListSecurityEventsInput) {
  return callUnaryMethod(transport, listSecurityEventsMethod, input);
}

export function listSecurityEventsQueryOptions(
  transport: Transport,
  input: ListSecurityEventsInput,
) {
  return createQueryOptions(listSecurityEventsMethod, input, { transport });
}

export function useListSecurityEvents(input: ListSecurityEventsInput) {
  // The previous page stays on screen while the next one loads.
  return useQuery(listSecurityEventsMethod, input, { placeholderData: keepPreviousData });
}
