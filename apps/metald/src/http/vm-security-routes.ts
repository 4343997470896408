// REST and /debug routes on a VM's security, as the guides call them:
//   PATCH /api/v1/vms/{id}/security   partial IPv6SecurityConfig (the migration script's form)
//   GET   /api/v1/vms/{id}/security   {.ipv6_security, .not_enforced}
//   GET   /debug/vm/{id}/security-policy  {.ingress_rules, .egress_rules, .interfaces[]}
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { toInterfaceView, toIPv6SecurityConfig } from "@metald/core";
import { IPv6SecurityConfigSchema, SecurityPolicySchema } from "@metald/proto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { findJsonFieldError } from "../connect/json-field-error.js";
import { securityPatch } from "../vm/config-edits.js";
import type { NotEnforcedReport } from "../vm/not-enforced-report.js";
import type { VmProvisioner, VmView } from "../vm/vm-provisioner.js";
import { sendError, sendNotFound } from "./http-errors.js";

function securityJson(vm: VmView) {
  const first = vm.effective[0];
  return first
    ? toJson(IPv6SecurityConfigSchema, toIPv6SecurityConfig(first.policy, vm.spec.profile), {
        useProtoFieldName: true,
      })
    : null;
}

export function registerVmSecurityRoutes(
  app: FastifyInstance,
  provisionerFor: (req: FastifyRequest) => VmProvisioner,
  notEnforced?: NotEnforcedReport,
): void {
  app.patch<{ Params: { id: string } }>("/api/v1/vms/:id/security", async (req, reply) => {
    const problem = findJsonFieldError(IPv6SecurityConfigSchema, req.body ?? {});
    if (problem) return reply.code(400).send({ code: "invalid_argument", message: problem });
    try {
      // Decoding and re-encoding keeps only fields the caller set, in canonical form.
      const patch = toJson(
        IPv6SecurityConfigSchema,
        fromJson(IPv6SecurityConfigSchema, (req.body ?? {}) as JsonValue),
        {
          useProtoFieldName: true,
        },
      );
      const vm = await provisionerFor(req).reconfigure(
        req.params.id,
        securityPatch(patch, false),
        "operator",
        "vm.patch_security",
      );
      if (!vm) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
      return {
        vm_id: vm.record.id,
        config_version: vm.record.configVersion,
        ipv6_security: securityJson(vm),
      };
    } catch (error) {
      return sendError(reply, error);
    }
  });

  app.get<{ Params: { id: string } }>("/api/v1/vms/:id/security", async (req, reply) => {
    const provisioner = provisionerFor(req);
    const vm = await provisioner.get(req.params.id);
    if (!vm) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
    const fields = (await notEnforced?.of(vm, provisioner.provenance(vm))) ?? [];
    return {
      vm_id: vm.record.id,
      config_version: vm.record.configVersion,
      ipv6_security: securityJson(vm),
      not_enforced: fields.map((f) => ({
        field: f.field,
        interface_id: f.interfaceId,
        reason: f.reason,
        source: f.source,
        value: f.value,
      })),
    };
  });

  app.get<{ Params: { id: string } }>("/debug/vm/:id/security-policy", async (req, reply) => {
    const vm = await provisionerFor(req).get(req.params.id);
    if (!vm) return sendNotFound(reply, `vm ${JSON.stringify(req.params.id)}`);
    const interfaces = vm.spec.interfaces.map((iface, i) => {
      const policy = vm.effective[i]?.policy;
      const view = policy && toInterfaceView(iface, policy, "");
      return {
        interface_id: iface.id,
        ...(view?.securityPolicy
          ? (toJson(SecurityPolicySchema, view.securityPolicy, {
              useProtoFieldName: true,
              alwaysEmitImplicit: true,
            }) as object)
          : {}),
      };
    });
    const first = interfaces[0] as
      | { ingress_rules?: string[]; egress_rules?: string[] }
      | undefined;
    return {
      vm_id: vm.record.id,
      ingress_rules: first?.ingress_rules ?? [],
      egress_rules: first?.egress_rules ?? [],
      interfaces,
    };
  });
}
