// Tenants as the guides' scripts read them (they call them customers):
//   GET /api/v1/customers?tier=premium|standard|basic → {customers: [{id, name, tier, vlan_id,
//       ipv6_prefix, bridge, namespace, vm_count}]}
//   GET /api/v1/customers/{id}
//   PUT /api/v1/customers/{id} {name, tier, vlan_id, ipv6_prefix, bridge, namespace} (operators)
import {
  checkIdentifier,
  FieldError,
  formatCidr,
  Ipv6SyntaxError,
  linuxNameProblem,
  parseIpv6Cidr,
} from "@metald/core";
import type { Tenant, TenantFields, TenantRepository, TenantTier } from "@metald/db";
import type { FastifyInstance } from "fastify";
import { sendError, sendNotFound } from "./http-errors.js";
import { jsonObjectBody, onlyKnownFields } from "./request-body.js";

export const TIERS = ["premium", "standard", "basic"];

export function customerJson(t: Tenant) {
  return {
    id: t.id,
    name: t.name,
    tier: t.tier,
    vlan_id: t.vlanId,
    ipv6_prefix: t.ipv6Prefix,
    bridge: t.bridgeName,
    namespace: t.networkNamespace,
    vm_count: t.vmCount,
    created_at: t.createdAt.toISOString(),
  };
}

/** A tenant's fields from a REST body (snake_case), over its current ones; also used by Connect. */
export function tenantFields(
  id: string,
  body: Record<string, unknown>,
  current?: Tenant,
): TenantFields {
  onlyKnownFields(body, ["name", "tier", "vlan_id", "ipv6_prefix", "bridge", "namespace"]);
  const text = (key: string, fallback: string | null) => {
    const v = body[key];
    if (v === undefined) return fallback;
    if (v !== null && typeof v !== "string") throw new FieldError(key, "must be text");
    return v;
  };
  const tier = (body.tier ?? current?.tier ?? "standard") as TenantTier;
  if (!TIERS.includes(tier)) throw new FieldError("tier", `must be one of ${TIERS.join(", ")}`);
  const vlan = body.vlan_id === undefined ? (current?.vlanId ?? null) : body.vlan_id;
  if (vlan !== null && (!Number.isInteger(vlan) || (vlan as number) < 1 || (vlan as number) > 4094))
    throw new FieldError("vlan_id", "must be 1–4094");
  let prefix = text("ipv6_prefix", current?.ipv6Prefix ?? null);
  if (prefix !== null) {
    try {
      const p = parseIpv6Cidr(prefix);
      prefix = formatCidr(p.value, p.prefixLength);
    } catch (error) {
      if (error instanceof Ipv6SyntaxError) throw new FieldError("ipv6_prefix", error.message);
      throw error;
    }
  }
  const bridge = text("bridge", current?.bridgeName ?? null);
  const namespace = text("namespace", current?.networkNamespace ?? null);
  for (const [key, name] of [
    ["bridge", bridge],
    ["namespace", namespace],
  ] as const) {
    const problem = name === null ? undefined : linuxNameProblem(name);
    if (problem) throw new FieldError(key, problem);
  }
  return {
    id,
    name: text("name", current?.name ?? id) ?? id,
    tier,
    vlanId: vlan as number | null,
    ipv6Prefix: prefix,
    bridgeName: bridge,
    networkNamespace: namespace,
    defaults: current?.defaults ?? {},
  };
}

export function registerCustomerRoutes(app: FastifyInstance, tenants: TenantRepository): void {
  app.get<{ Querystring: { tier?: string } }>("/api/v1/customers", async (req, reply) => {
    const { tier } = req.query;
    if (tier !== undefined && !TIERS.includes(tier))
      return reply
        .code(400)
        .send({ code: "invalid_argument", message: `tier: must be one of ${TIERS.join(", ")}` });
    const own = req.principal?.kind === "tenant" ? req.principal.tenantId : undefined;
    const list = (await tenants.list({ tier })).filter((t) => own === undefined || t.id === own);
    return { customers: list.map(customerJson) };
  });

  app.put<{ Params: { id: string }; Body: unknown }>(
    "/api/v1/customers/:id",
    async (req, reply) => {
      const { id } = req.params;
      try {
        checkIdentifier(id, "id");
        await tenants.upsert(tenantFields(id, jsonObjectBody(req.body), await tenants.get(id)));
      } catch (error) {
        return sendError(reply, error);
      }
      return customerJson((await tenants.get(id)) as Tenant);
    },
  );

  app.get<{ Params: { id: string } }>("/api/v1/customers/:id", async (req, reply) => {
    const own = req.principal?.kind === "tenant" ? req.principal.tenantId : undefined;
    const tenant = await tenants.get(req.params.id);
    if (!tenant || (own !== undefined && tenant.id !== own))
      return sendNotFound(reply, `customer ${JSON.stringify(req.params.id)}`);
    return customerJson(tenant);
  });
}
