// A problem with one field of a request, named by its path as the caller wrote it.

export type FieldErrorCode =
  | "invalid_argument"
  | "already_exists"
  | "not_found"
  | "resource_exhausted"
  | "permission_denied";

export class FieldError extends Error {
  override name = "FieldError";
  constructor(
    /** e.g. "config.network[0].ipv6.address" */
    readonly path: string,
    readonly problem: string,
    readonly code: FieldErrorCode = "invalid_argument",
  ) {
    super(`${path}: ${problem}`);
  }
}
