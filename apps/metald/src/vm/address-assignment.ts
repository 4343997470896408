// The addresses of a VM being created or changed: given ones tagged with the pool they lie in,
// missing ones drawn from a pool (an update keeps what was drawn before), and what a collision
// with another VM's address means for the request.
import { FieldError, type VmSpec } from "@metald/core";
import type { AddressTakenError } from "@metald/db";
import type { AddressAllocator } from "../ipam/address-allocator.js";

/** An address drawn from a pool was taken meanwhile: the request is tried again. */
export class AllocationCollision extends Error {
  constructor(readonly fieldError: FieldError) {
    super(fieldError.message);
  }
}

export async function assignAddresses(
  allocator: AddressAllocator,
  spec: VmSpec,
  previous: VmSpec | undefined,
): Promise<void> {
  for (const [i, iface] of spec.interfaces.entries()) {
    for (const a of iface.addresses) {
      const poolId = await allocator.poolOf(a.address, spec.tenantId, a.path);
      if (poolId !== null) a.poolId = poolId;
    }
    if (iface.addresses.length > 0 || !spec.ipv6Enabled) continue;
    const kept = previous?.interfaces
      .find((p) => p.id === iface.id)
      ?.addresses.filter((a) => a.allocated);
    if (kept && kept.length > 0) {
      iface.addresses = kept;
      continue;
    }
    const [got] = (await allocator.allocate(spec.tenantId, 1)) ?? [];
    if (got)
      iface.addresses = [{ ...got, path: `config.network[${i}].ipv6.address`, allocated: true }];
  }
}

/** The error for an address another VM holds; a collision if metald had drawn it. */
export function addressInUse(
  spec: VmSpec,
  error: AddressTakenError,
): FieldError | AllocationCollision {
  const taken = spec.interfaces
    .flatMap((i) => i.addresses)
    .find((a) => a.address === error.address);
  const fieldError = new FieldError(
    taken?.path ?? "config",
    `${error.address} is already in use by another VM`,
    "already_exists",
  );
  return taken?.allocated ? new AllocationCollision(fieldError) : fieldError;
}
