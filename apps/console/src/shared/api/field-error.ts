// metald's invalid_argument messages start with the path of the field they are about
// ("config.ipv6_config.addresses[0]: 2001:db8::zz is not an IPv6 address"): forms show the
// problem at that field.
import { Code, ConnectError } from "@connectrpc/connect";

export interface FieldProblem {
  /** e.g. "config.ipv6_config.addresses[0]" */
  path: string;
  problem: string;
}

const FIELD_MESSAGE = /^([a-z_][a-z0-9_]*(?:\[\d+\])*(?:\.[a-z_][a-z0-9_]*(?:\[\d+\])*)*): (.+)$/s;

/** The field an error names, when it is an invalid_argument (or similar) about one field. */
export function fieldProblemOf(error: unknown): FieldProblem | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  if (
    error.code !== Code.InvalidArgument &&
    error.code !== Code.AlreadyExists &&
    error.code !== Code.PermissionDenied &&
    error.code !== Code.ResourceExhausted
  )
    return undefined;
  const m = FIELD_MESSAGE.exec(error.rawMessage);
  return m ? { path: m[1] as string, problem: m[2] as string } : undefined;
}

/** A message for people: the server's own words, without Connect's "[code]" prefix. */
export function errorText(error: unknown): string {
  if (error instanceof ConnectError) {
    if (error.code === Code.Unavailable && error.rawMessage.includes("fetch"))
      return "metald did not answer; is it running?";
    return error.rawMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Where a form shows a failure: at the field its message names (`pool.rate_limit` with prefix
 * "pool" → "rate_limit", when the form has that field), else above the form's button.
 */
export function problemAt<F extends string>(
  error: unknown,
  prefix: string,
  fields: readonly F[],
): { field?: F; text: string } {
  const named = fieldProblemOf(error);
  const path = named?.path.startsWith(`${prefix}.`) ? named.path.slice(prefix.length + 1) : "";
  const field = fields.find((f) => f === path);
  return field && named ? { field, text: named.problem } : { text: errorText(error) };
}
