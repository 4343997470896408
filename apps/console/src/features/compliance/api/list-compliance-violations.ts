// ComplianceService.ListComplianceViolations: open violations (newest first), each naming its
// requirement and the fields that fix it; a tenant token sees its own.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { ComplianceService, type ListComplianceViolationsRequestSchema } from "@metald/proto";
import { keepPreviousData } from "@tanstack/react-query";

export type ListComplianceViolationsInput = MessageInitShape<
  typeof ListComplianceViolationsRequestSchema
>;

export const listComplianceViolationsMethod = ComplianceService.method.listComplianceViolations;

export function listComplianceViolations(
  transport: Transport,
  input: ListComplianceViolationsInput,
) {
  return callUnaryMethod(transport, listComplianceViolationsMethod, input);
}

export function listComplianceViolationsQueryOptions(
  transport: Transport,
  input: ListComplianceViolationsInput,
) {
  return createQueryOptions(listComplianceViolationsMethod, input, { transport });
}

export function useListComplianceViolations(input: ListComplianceViolationsInput) {
  return useQuery(listComplianceViolationsMethod, input, { placeholderData: keepPreviousData });
}
