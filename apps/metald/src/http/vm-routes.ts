// VMs over REST, as the guides' scripts read them:
//   GET    /api/v1/vms?customer_id&state&limit&cursor → {vms: [{id, name, customer_id, state,
//          addresses, ipv6_security, …}], next_cursor}
//   GET    /api/v1/vms/{id}          one VM, with its stored config
//   DELETE /api/v1/vms/{id}
//   GET    /api/v1/vms/{id}/history?timestamp=ISO → the configuration in force then
import { toJson } from "@bufbuild/protobuf";
import { FieldError, toIPv6SecurityConfig } from "@metald/core";
import type { VmStateName } from "@metald/db";
import { IPv6SecurityConfigSchema } from "@metald/proto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { EffectiveInterface, VmProvisioner, VmView } from "../vm/vm-provisioner.js";
import { sendError, sendNotFound } from "./http-errors.js";
import { parseLimit, parseTime } from "./query-params.js";

const STATES = ["CREATED", "RUNNING", "SHUTDOWN", "TERMINATED", "FAILED"];

function securityOf(effective: EffectiveInterface[], profile: VmView["spec"]["profile"]) {
  const first = effective[0];
  return first
    ? toJson(IPv6SecurityConfigSchema, toIPv6SecurityConfig(first.policy, profile), {
        useProtoFieldName: true,
      })
    : null;
}

export function vmJson(vm: VmView) {
  const { record, spec } = vm;
  return {
    id: record.id,
    name: spec.metadata.name ?? record.id,
    customer_id: record.tenantId,
    tenant_id: record.tenantId,
    state: record.state,
    isolated: record.isolated,
    application_tier: record.applicationTier,
    config_version: record.configVersion,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
    addresses: spec.interfaces.flatMap((iface) =>
      iface.addresses.map((a) => ({
        interface: iface.id,
        address: `${a.address}/${a.prefixLength}`,
        pool_id: a.poolId ?? null,
      })),
    ),
    ipv6_security: securityOf(vm.effective, spec.profile),
  };
}

type Query = Record<string, string | undefined>;

export function registerVmRoutes(
  app: FastifyInstance,
  provisionerFor: (req: FastifyRequest) => VmProvisioner,
): void {
  app.get<{ Querystring: Query }>("/api/v1/vms", async (req, reply) => {
    const q = req.query;
    try {
      if (q.state !== undefined && !STATES.includes(q.state))
        throw new FieldError("state", `must be one of ${STATES.join(", ")}`);
      const limit = parseLimit(q.limit, 1000, 1000);
      const afterId = q.cursor ? Buffer.from(q.cursor, "base64url").toString() : undefined;
      if (afterId !== undefined && !/^vm-[a-z0-9-]{1,60}$/.test(afterId))
        throw new FieldError("cursor", "is not a cursor this server issued");
      const page = await provisionerFor(req).list({
        tenantId: q.customer_id || undefined,
        state: q.state as VmStateName | undefined,
        hostId: q.host_id || undefined,
        afterId,
        limit,
      });
      const last = page[page.length - 1];
      return {
        vms: page.map(vmJson),
        next_cursor:
          last && page.length === limit ? Buffer.from(last.record.id).toString("base64url") : "",
      };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string } }>("/api/v1/vms/:id", async (req, reply) => {
    const vm = await provisionerFor(req).get(req.params.id);
    if (!vm) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
    return { ...vmJson(vm), config: vm.record.config };
  });

  app.delete<{ Params: { id: string } }>("/api/v1/vms/:id", async (req, reply) => {
    try {
      const state = await provisionerFor(req).delete(req.params.id, "operator");
      if (!state) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
      return { vm_id: req.params.id, state };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    "/api/v1/vms/:id/history",
    async (req, reply) => {
      let at: Date;
      try {
        at = parseTime(req.query.timestamp, "timestamp") ?? new Date();
      } catch (error) {
        return sendError(reply, error);
      }
      const v = await provisionerFor(req).versionAt(req.params.id, at);
      // The same answer for an unknown VM and one created after `timestamp`.
      if (!v) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
      return {
        vm_id: req.params.id,
        version: v.version,
        created_at: v.createdAt.toISOString(),
        config: {
          ...(v.config as Record<string, unknown>),
          ipv6_security: securityOf(v.effective, v.spec.profile),
        },
      };
    },
  );
}
