// vmprovisioner.v1.Ipv6PoolService: address pools and allocations over the same repository and
// checks as /debug/ipv6/pools. A tenant token sees the pools given to its tenant and the
// allocations of its own VMs and pools; shared pools and changes are the operator's.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { FieldError, parsePoolPrefix, utilization } from "@metald/core";
import type { Allocation, NewPool, Pool, PoolRepository } from "@metald/db";
import {
  AllocationSchema,
  type Ipv6Pool,
  Ipv6PoolSchema,
  type Ipv6PoolService,
} from "@metald/proto";
import { PRINCIPAL } from "../auth/principal-context.js";
import { checkPoolId, readPool } from "../http/pool-routes.js";
import type { AddressAllocator } from "../ipam/address-allocator.js";
import { guarded } from "./to-connect-error.js";

export function toProtoPool(p: Pool): Ipv6Pool {
  const range = parsePoolPrefix(p.prefix);
  return create(Ipv6PoolSchema, {
    id: p.id,
    prefix: p.prefix,
    description: p.description,
    tenantId: p.tenantId ?? "",
    rateLimit: p.rateLimit,
    utilization: utilization(range, p.allocated),
    // Exact, as a string: a /48 holds more than a double can count.
    availableAddresses: (range.capacity - BigInt(p.allocated)).toString(),
    allocatedAddresses: BigInt(p.allocated),
  });
}

function toProtoAllocation(a: Allocation) {
  return create(AllocationSchema, {
    address: a.address,
    poolId: a.poolId ?? "",
    vmId: a.vmId ?? "",
    interfaceId: a.interfaceId,
    allocatedAt: timestampFromDate(a.allocatedAt),
    leaked: a.vmId === null,
  });
}

function ownTenant(ctx: HandlerContext): string | undefined {
  const p = ctx.values.get(PRINCIPAL);
  return p?.kind === "tenant" ? p.tenantId : undefined;
}

function requireOperator(ctx: HandlerContext, what: string): void {
  const p = ctx.values.get(PRINCIPAL);
  if (p !== undefined && p.kind !== "operator")
    throw new ConnectError(`${what} is for operators`, Code.PermissionDenied);
}

const notFound = (id: string) =>
  new ConnectError(`pool ${JSON.stringify(id)} not found`, Code.NotFound);

/** The fields CreatePool and UpdatePool set, checked as the REST route checks them. */
function fieldsOf(pool: Ipv6Pool | undefined): NewPool {
  if (!pool) throw new FieldError("pool", "is required");
  try {
    const id = checkPoolId(pool.id);
    // utilization, available_addresses and allocated_addresses are output only: ignored.
    const fields = readPool(
      {
        prefix: pool.prefix === "" ? undefined : pool.prefix,
        description: pool.description,
        tenant_id: pool.tenantId === "" ? null : pool.tenantId,
        rate_limit: pool.rateLimit,
      },
      false,
    );
    return {
      id,
      prefix: fields.prefix as string,
      description: fields.description ?? "",
      tenantId: fields.tenantId ?? null,
      rateLimit: fields.rateLimit ?? 0,
    };
  } catch (error) {
    if (error instanceof FieldError)
      throw new FieldError(`pool.${error.path}`, error.problem, error.code);
    throw error;
  }
}

export function createIpv6PoolServiceImpl(deps: {
  pools: PoolRepository;
  allocator: AddressAllocator;
}): ServiceImpl<typeof Ipv6PoolService> {
  const { pools, allocator } = deps;
  const visible = async (id: string, ctx: HandlerContext) => {
    const pool = id === "" ? undefined : await pools.get(id);
    const own = ownTenant(ctx);
    return pool && (own === undefined || pool.tenantId === own) ? pool : undefined;
  };
  return {
    listPools: (req, ctx) =>
      guarded(async () => {
        const own = ownTenant(ctx);
        const tenant = own ?? (req.tenantId === "" ? undefined : req.tenantId);
        const list = (await pools.list()).filter(
          (p) => tenant === undefined || p.tenantId === tenant,
        );
        return { pools: list.map(toProtoPool) };
      }),

    getPool: (req, ctx) =>
      guarded(async () => {
        if (req.id === "") throw new ConnectError("id: is required", Code.InvalidArgument);
        const pool = await visible(req.id, ctx);
        if (!pool) throw notFound(req.id);
        return { pool: toProtoPool(pool) };
      }),

    createPool: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "CreatePool");
        const fields = fieldsOf(req.pool);
        await pools.create(fields);
        allocator.invalidate();
        return { pool: toProtoPool((await pools.get(fields.id)) as Pool) };
      }),

    updatePool: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "UpdatePool");
        const fields = fieldsOf(req.pool);
        const { id, ...change } = fields;
        if (!(await pools.update(id, change))) throw notFound(id);
        allocator.invalidate();
        return { pool: toProtoPool((await pools.get(id)) as Pool) };
      }),

    deletePool: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "DeletePool");
        if (req.id === "") throw new ConnectError("id: is required", Code.InvalidArgument);
        const r = await pools.remove(req.id);
        if (!r.removed && r.reason === "not_found") throw notFound(req.id);
        if (!r.removed)
          throw new ConnectError(
            `pool ${JSON.stringify(req.id)} still has ${r.allocated} allocated address(es); delete their VMs or clean up leaked ones first`,
            Code.FailedPrecondition,
          );
        allocator.invalidate();
        return { success: true };
      }),

    listAllocations: (req, ctx) =>
      guarded(async () => {
        const list = await pools.allocations({
          poolId: req.poolId === "" ? undefined : req.poolId,
          tenantId: ownTenant(ctx),
          leakedOnly: req.leakedOnly,
        });
        return { allocations: list.map(toProtoAllocation) };
      }),

    cleanupAllocations: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "CleanupAllocations");
        const addresses = req.dryRun
          ? (await pools.allocations({ leakedOnly: true })).map((a) => a.address)
          : await pools.cleanup();
        return { released: addresses.length, addresses };
      }),
  };
}
