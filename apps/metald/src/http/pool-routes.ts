// IPv6 address pools, as the troubleshooting guide reads and changes them:
//   GET /debug/ipv6/pools → [{id, prefix, description, tenant_id, rate_limit, allocated,
//       utilization, available_addresses}]
//   POST /debug/ipv6/pools {id, prefix, description, tenant_id, rate_limit}
//   PUT /debug/ipv6/pools/{id} {prefix, description, tenant_id, rate_limit}
//   GET /debug/ipv6/allocations → [{address, prefix_length, pool_id, vm_id (null when leaked), …}]
//   POST /debug/ipv6/cleanup-allocations → {released: [...]}
import {
  checkIdentifier,
  FieldError,
  formatPoolPrefix,
  Ipv6SyntaxError,
  parsePoolPrefix,
  utilization,
} from "@metald/core";
import type { NewPool, Pool, PoolRepository } from "@metald/db";
import type { FastifyInstance } from "fastify";
import type { AddressAllocator } from "../ipam/address-allocator.js";
import { sendError, sendNotFound } from "./http-errors.js";
import { jsonObjectBody, onlyKnownFields } from "./request-body.js";

const POOL_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** Checks a new pool's id (lower-case letters, digits, . _ -; at most 63). */
export function checkPoolId(id: unknown): string {
  if (typeof id !== "string" || !POOL_ID.test(id))
    throw new FieldError("id", "is required (lower-case letters, digits, . _ -; at most 63)");
  return id;
}

export function poolJson(p: Pool) {
  const range = parsePoolPrefix(p.prefix);
  return {
    id: p.id,
    prefix: p.prefix,
    description: p.description,
    tenant_id: p.tenantId,
    rate_limit: p.rateLimit,
    allocated: p.allocated,
    utilization: utilization(range, p.allocated),
    // Exact, as a string: a /48 holds more than a JSON number can carry.
    available_addresses: (range.capacity - BigInt(p.allocated)).toString(),
  };
}

/** A pool's fields from a REST body (snake_case); partial: only those given. Also used by Connect. */
export function readPool(
  body: Record<string, unknown>,
  partial: boolean,
): Partial<Omit<NewPool, "id">> {
  const out: Partial<Omit<NewPool, "id">> = {};
  onlyKnownFields(body, ["id", "prefix", "description", "tenant_id", "rate_limit"]);
  if (body.prefix !== undefined || !partial) {
    if (typeof body.prefix !== "string")
      throw new FieldError("prefix", "is required, e.g. 2600:beef:1000::/48");
    try {
      out.prefix = formatPoolPrefix(parsePoolPrefix(body.prefix));
    } catch (error) {
      if (error instanceof Ipv6SyntaxError) throw new FieldError("prefix", `${error.message}`);
      throw error;
    }
  }
  if (body.description !== undefined) {
    if (typeof body.description !== "string" || body.description.length > 500)
      throw new FieldError("description", "must be text of at most 500 characters");
    out.description = body.description;
  }
  if (body.tenant_id !== undefined) {
    if (body.tenant_id !== null && typeof body.tenant_id !== "string")
      throw new FieldError("tenant_id", "must be a tenant id or null");
    out.tenantId = body.tenant_id === null ? null : checkIdentifier(body.tenant_id, "tenant_id");
  }
  if (body.rate_limit !== undefined) {
    if (
      !Number.isInteger(body.rate_limit) ||
      (body.rate_limit as number) < 0 ||
      (body.rate_limit as number) > 1_000_000
    )
      throw new FieldError(
        "rate_limit",
        "must be an integer 0–1000000 (allocations per hour; 0: none)",
      );
    out.rateLimit = body.rate_limit as number;
  }
  return out;
}

export function registerPoolRoutes(
  app: FastifyInstance,
  deps: { pools: PoolRepository; allocator: AddressAllocator },
): void {
  const { pools, allocator } = deps;
  app.get("/debug/ipv6/pools", async () => (await pools.list()).map(poolJson));

  app.post<{ Body: unknown }>("/debug/ipv6/pools", async (req, reply) => {
    try {
      const body = jsonObjectBody(req.body);
      const id = checkPoolId(body.id);
      const fields = readPool(body, false);
      await pools.create({
        id,
        prefix: fields.prefix as string,
        description: fields.description ?? "",
        tenantId: fields.tenantId ?? null,
        rateLimit: fields.rateLimit ?? 0,
      });
      allocator.invalidate();
      return reply.code(201).send(poolJson((await pools.get(id)) as Pool));
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.put<{ Params: { id: string }; Body: unknown }>(
    "/debug/ipv6/pools/:id",
    async (req, reply) => {
      try {
        if (!(await pools.update(req.params.id, readPool(jsonObjectBody(req.body), true))))
          return sendNotFound(reply, `pool ${JSON.stringify(req.params.id)}`);
      } catch (error) {
        return sendError(reply, error);
      }
      allocator.invalidate();
      return poolJson((await pools.get(req.params.id)) as Pool);
    },
  );

  app.get("/debug/ipv6/allocations", async () =>
    (await pools.allocations()).map((a) => ({
      address: a.address,
      prefix_length: a.prefixLength,
      pool_id: a.poolId,
      vm_id: a.vmId,
      vm_state: a.vmState,
      interface_id: a.interfaceId,
      allocated_at: a.allocatedAt.toISOString(),
    })),
  );

  app.post("/debug/ipv6/cleanup-allocations", async () => ({ released: await pools.cleanup() }));
}
