// SecurityEventService.GetSecurityReport: counts by type, severity, VM and source over a time
// range, computed by the server (the page's grouped counts).
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { callUnaryMethod, createQueryOptions, useQuery } from "@connectrpc/connect-query";
import { type GetSecurityReportRequestSchema, SecurityEventService } from "@metald/proto";
import { keepPreviousData } from "@tanstack/react-query";

export type GetSecurityReportInput = MessageInitShape<typeof GetSecurityReportRequestSchema>;

export const getSecurityReportMethod = SecurityEventService.method.getSecurityReport;

export function getSecurityReport(transport: Transport, input: GetSecurityReportInput) {
  return callUnaryMethod(transport, getSecurityReportMethod, input);
}

export function getSecurityReportQueryOptions(transport: Transport, input: GetSecurityReportInput) {
  return createQueryOptions(getSecurityReportMethod, input, { transport });
}

export function useSecurityReport(input: GetSecurityReportInput) {
  return useQuery(getSecurityReportMethod, input, { placeholderData: keepPreviousData });
}
