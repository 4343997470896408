// vmprovisioner.v1.TenantService: tenants (the guides' customers) over the same repository and
// checks as /api/v1/customers. A tenant token sees its own tenant only (another one is
// not_found, as one that does not exist); creating, changing and deleting are the operator's.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { checkIdentifier, FieldError } from "@metald/core";
import type { Tenant, TenantRepository } from "@metald/db";
import {
  type Tenant as ProtoTenant,
  TenantSchema,
  type TenantService,
  TenantTier,
} from "@metald/proto";
import { PRINCIPAL } from "../auth/principal-context.js";
import { securitySectionsToProto } from "../config/security-sections.js";
import { TIERS, tenantFields } from "../http/customer-routes.js";
import { guarded } from "./to-connect-error.js";

/** The REST body's names for the fields whose proto names differ. */
const PROTO_FIELD: Record<string, string> = {
  bridge: "bridge_name",
  namespace: "network_namespace",
};

function tierName(tier: TenantTier): string {
  return tier === TenantTier.UNSPECIFIED ? "standard" : TenantTier[tier].toLowerCase();
}

function tierOf(name: string): TenantTier {
  return TenantTier[name.toUpperCase() as keyof typeof TenantTier] ?? TenantTier.UNSPECIFIED;
}

export function toProtoTenant(t: Tenant): ProtoTenant {
  let defaults: ProtoTenant["defaults"];
  try {
    defaults = securitySectionsToProto(t.defaults);
  } catch {
    // Written by an older host configuration this version no longer reads: shown as none.
    defaults = undefined;
  }
  return create(TenantSchema, {
    id: t.id,
    name: t.name,
    tier: tierOf(t.tier),
    vlanId: t.vlanId ?? 0,
    ipv6Prefix: t.ipv6Prefix ?? "",
    bridgeName: t.bridgeName ?? "",
    networkNamespace: t.networkNamespace ?? "",
    defaults,
    createdAt: timestampFromDate(t.createdAt),
    vmCount: t.vmCount,
  });
}

/** The tenant a tenant token is confined to; undefined for operators. */
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
  new ConnectError(`tenant ${JSON.stringify(id)} not found`, Code.NotFound);

/** The fields CreateTenant and UpdateTenant set, checked as the REST route checks them; the
 * tenant's defaults come from the host configuration file and stay. */
function fieldsOf(tenant: ProtoTenant | undefined, current?: Tenant) {
  if (!tenant) throw new FieldError("tenant", "is required");
  const id = checkIdentifier(tenant.id, "tenant.id");
  // defaults, created_at and vm_count are output only: ignored, as a read-modify-write sends them.
  try {
    const fields = tenantFields(id, {
      name: tenant.name === "" ? id : tenant.name,
      tier: tierName(tenant.tier),
      vlan_id: tenant.vlanId === 0 ? null : tenant.vlanId,
      ipv6_prefix: tenant.ipv6Prefix === "" ? null : tenant.ipv6Prefix,
      bridge: tenant.bridgeName === "" ? null : tenant.bridgeName,
      namespace: tenant.networkNamespace === "" ? null : tenant.networkNamespace,
    });
    return { ...fields, defaults: current?.defaults ?? {} };
  } catch (error) {
    if (error instanceof FieldError)
      throw new FieldError(
        `tenant.${PROTO_FIELD[error.path] ?? error.path}`,
        error.problem,
        error.code,
      );
    throw error;
  }
}

export function createTenantServiceImpl(deps: {
  tenants: TenantRepository;
  /** Tenants of the host configuration file: changed there, not deleted through the API. */
  configuredTenants: () => readonly string[];
}): ServiceImpl<typeof TenantService> {
  const { tenants } = deps;
  return {
    listTenants: (req, ctx) =>
      guarded(async () => {
        if (req.tier !== TenantTier.UNSPECIFIED && !TIERS.includes(tierName(req.tier)))
          throw new ConnectError("tier: unknown tier", Code.InvalidArgument);
        const own = ownTenant(ctx);
        const tier = req.tier === TenantTier.UNSPECIFIED ? undefined : tierName(req.tier);
        const list = (await tenants.list({ tier })).filter(
          (t) => own === undefined || t.id === own,
        );
        return { tenants: list.map(toProtoTenant) };
      }),

    getTenant: (req, ctx) =>
      guarded(async () => {
        if (req.id === "") throw new ConnectError("id: is required", Code.InvalidArgument);
        const own = ownTenant(ctx);
        const tenant = own === undefined || own === req.id ? await tenants.get(req.id) : undefined;
        if (!tenant) throw notFound(req.id);
        return { tenant: toProtoTenant(tenant) };
      }),

    createTenant: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "CreateTenant");
        const fields = fieldsOf(req.tenant);
        if (await tenants.get(fields.id))
          throw new ConnectError(
            `tenant.id: tenant ${JSON.stringify(fields.id)} exists`,
            Code.AlreadyExists,
          );
        await tenants.upsert(fields);
        return { tenant: toProtoTenant((await tenants.get(fields.id)) as Tenant) };
      }),

    updateTenant: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "UpdateTenant");
        const id = req.tenant?.id ?? "";
        const current = id === "" ? undefined : await tenants.get(id);
        if (id !== "" && !current) throw notFound(id);
        const fields = fieldsOf(req.tenant, current);
        await tenants.upsert(fields);
        return { tenant: toProtoTenant((await tenants.get(fields.id)) as Tenant) };
      }),

    deleteTenant: (req, ctx) =>
      guarded(async () => {
        requireOperator(ctx, "DeleteTenant");
        if (req.id === "") throw new ConnectError("id: is required", Code.InvalidArgument);
        if (deps.configuredTenants().includes(req.id))
          throw new ConnectError(
            `tenant ${JSON.stringify(req.id)} is defined in the host configuration file; remove it there`,
            Code.FailedPrecondition,
          );
        const r = await tenants.remove(req.id);
        if (r.removed) return { success: true };
        if (r.reason === "not_found") throw notFound(req.id);
        const uses = [
          ...(r.vms > 0 ? [`${r.vms} VM(s), terminated ones kept for their history`] : []),
          ...(r.pools.length > 0 ? [`pool(s) ${r.pools.join(", ")}`] : []),
        ];
        throw new ConnectError(
          `tenant ${JSON.stringify(req.id)} is still referred to by ${uses.join(" and ")}`,
          Code.FailedPrecondition,
        );
      }),
  };
}
