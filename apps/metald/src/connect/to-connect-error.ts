// Maps domain errors onto Connect's fixed set of codes.
import { Code, ConnectError } from "@connectrpc/connect";
import { BridgeFullError, FieldError, HostApplyError } from "@metald/core";
import {
  AddressTakenError,
  ConfigConflictError,
  PoolExistsError,
  VmBusyError,
  VmExistsError,
  VmMovedError,
} from "@metald/db";
import { PoolExhaustedError, PoolRateLimitedError } from "../ipam/address-allocator.js";
import { VmOwnedElsewhereError, VmStateError } from "../vm/vm-provisioner.js";

const FIELD_CODES: Record<FieldError["code"], Code> = {
  invalid_argument: Code.InvalidArgument,
  already_exists: Code.AlreadyExists,
  not_found: Code.NotFound,
  resource_exhausted: Code.ResourceExhausted,
  permission_denied: Code.PermissionDenied,
};

export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof FieldError)
    return new ConnectError(error.message, FIELD_CODES[error.code], undefined, undefined, error);
  if (error instanceof VmExistsError)
    return new ConnectError(`vm_id: ${error.message}`, Code.AlreadyExists);
  if (error instanceof ConfigConflictError) return new ConnectError(error.message, Code.Aborted);
  // The VM moved to another host while the change was on its way: refused as for any VM of
  // another host, naming it.
  if (error instanceof VmMovedError)
    return new ConnectError(
      new VmOwnedElsewhereError(error.vmId, error.ownerHostId, error.servingHostId).message,
      Code.FailedPrecondition,
    );
  if (error instanceof VmBusyError) return new ConnectError(error.message, Code.Aborted);
  if (error instanceof VmStateError)
    return new ConnectError(error.message, Code.FailedPrecondition);
  if (error instanceof PoolExhaustedError || error instanceof PoolRateLimitedError)
    return new ConnectError(error.message, Code.ResourceExhausted);
  if (error instanceof PoolExistsError) return new ConnectError(error.message, Code.AlreadyExists);
  if (error instanceof AddressTakenError)
    return new ConnectError(error.message, Code.AlreadyExists);
  if (error instanceof BridgeFullError)
    return new ConnectError(error.message, Code.ResourceExhausted);
  // The host kept nothing of the change: the caller may retry.
  if (error instanceof HostApplyError) return new ConnectError(error.message, Code.Unavailable);
  return ConnectError.from(error, Code.Internal);
}

/** Runs a handler's work, answering any domain error with its Connect code. */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toConnectError(error);
  }
}
