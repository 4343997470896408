// vmprovisioner.v1.VmService: VM lifecycle and the live enforcement of each VM.
import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  type InterfaceSpec,
  profileToProto,
  tapName,
  toInterfaceView,
  toIPv6SecurityConfig,
} from "@metald/core";
import type { VmStateName } from "@metald/db";
import {
  GetVmResponseSchema,
  InterfaceIPv6ConfigSchema,
  IPv6SecurityConfigSchema,
  SecurityPolicySchema,
  VmInfoSchema,
  type VmService,
  VmState,
} from "@metald/proto";
import { PRINCIPAL } from "../auth/principal-context.js";
import { interfacePatch, securityPatch } from "../vm/config-edits.js";
import type { NotEnforcedReport } from "../vm/not-enforced-report.js";
import type { VmMigration } from "../vm/vm-migration.js";
import type { VmProvisioner, VmView } from "../vm/vm-provisioner.js";
import { guarded } from "./to-connect-error.js";

const MAX_PAGE = 1000;

function requireVmId(vmId: string): string {
  if (vmId === "") throw new ConnectError("vm_id: is required", Code.InvalidArgument);
  return vmId;
}

function notFound(vmId: string): ConnectError {
  return new ConnectError(`vm ${JSON.stringify(vmId)} not found`, Code.NotFound);
}

function stateToProto(state: VmStateName): VmState {
  return VmState[state];
}

function encodePageToken(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

function decodePageToken(token: string): string | undefined {
  if (token === "") return undefined;
  const id = Buffer.from(token, "base64url").toString("utf8");
  if (!/^vm-[a-z0-9-]{1,60}$/.test(id))
    throw new ConnectError("page_token: is not a token this server issued", Code.InvalidArgument);
  return id;
}

function toGetVmResponse(vm: VmView) {
  const { record, spec, effective } = vm;
  const network = spec.interfaces.map((iface, i) => {
    const policy = effective[i]?.policy;
    if (!policy)
      throw new ConnectError(
        `vm ${record.id} has no effective policy for ${iface.id}`,
        Code.Internal,
      );
    return toInterfaceView(iface, policy, tapName(record.id, i));
  });
  const first = effective[0];
  return create(GetVmResponseSchema, {
    vmId: record.id,
    config: vm.config,
    state: stateToProto(record.state),
    network,
    tenantId: record.tenantId,
    ipv6Security: first ? toIPv6SecurityConfig(first.policy, spec.profile) : undefined,
    applicationTier: record.applicationTier,
    isolated: record.isolated,
    hostId: record.hostId,
    configVersion: record.configVersion,
    createdAt: timestampFromDate(record.createdAt),
    updatedAt: timestampFromDate(record.updatedAt),
  });
}

function toVmInfo(vm: VmView) {
  const { record, spec } = vm;
  return create(VmInfoSchema, {
    vmId: record.id,
    state: stateToProto(record.state),
    tenantId: record.tenantId,
    vcpuCount: spec.resources.vcpuCount,
    memorySizeBytes: BigInt(spec.resources.memoryBytes),
    ipv6Addresses: spec.interfaces.flatMap((i) =>
      i.addresses.map((a) => `${a.address}/${a.prefixLength}`),
    ),
    securityProfile: profileToProto(spec.profile),
    isolated: record.isolated,
    applicationTier: record.applicationTier,
    createdAt: timestampFromDate(record.createdAt),
    updatedAt: timestampFromDate(record.updatedAt),
    metadata: spec.metadata,
    hostId: record.hostId,
  });
}

/** The value at a dotted path of the effective policy, as JSON text ("" when there is none). */
export function policyValueJson(policy: object, path: string): string {
  let value: unknown = policy;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return "";
    value = (value as Record<string, unknown>)[key];
  }
  if (value === undefined) return "";
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "";
}

/** Who made a change, for the audit trail. */
export function actorOf(ctx: HandlerContext): string {
  const p = ctx.values.get(PRINCIPAL);
  if (!p) return "operator";
  return p.kind === "tenant" ? `tenant:${p.tenantId}:${p.name}` : `${p.kind}:${p.name}`;
}

export function createVmServiceImpl(
  provisionerFor: (ctx: HandlerContext) => VmProvisioner,
  migration?: VmMigration,
  notEnforced?: NotEnforcedReport,
): Partial<ServiceImpl<typeof VmService>> {
  return {
    migrateVm: (req, ctx) =>
      guarded(async () => {
        // Where a VM is enforced is the operator's choice: a tenant token cannot move one.
        if (ctx.values.get(PRINCIPAL)?.kind === "tenant")
          throw new ConnectError(
            "MigrateVm is for operators; a tenant token may not use it",
            Code.PermissionDenied,
          );
        if (!migration) throw new ConnectError("this server does not move VMs", Code.Unimplemented);
        const moved = await migration.migrateHere(requireVmId(req.vmId), actorOf(ctx), req.reason);
        if (!moved) throw notFound(req.vmId);
        return {
          vmId: moved.vmId,
          hostId: moved.hostId,
          sourceHostId: moved.sourceHostId,
          moved: moved.moved,
          state: stateToProto(moved.state),
        };
      }),

    createVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const { vmId, state } = await provisioner.create(req, actorOf(ctx));
        return { vmId, state: stateToProto(state) };
      }),

    getVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const vm = await provisioner.get(requireVmId(req.vmId));
        if (!vm) throw notFound(req.vmId);
        return toGetVmResponse(vm);
      }),

    listVms: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const limit = req.pageSize === 0 ? MAX_PAGE : Math.min(req.pageSize, MAX_PAGE);
        const state =
          req.state === VmState.UNSPECIFIED
            ? undefined
            : (VmState[req.state] as VmStateName | undefined);
        if (req.state !== VmState.UNSPECIFIED && !state)
          throw new ConnectError("state: unknown VM state", Code.InvalidArgument);
        const tenantId = req.tenantId === "" ? undefined : req.tenantId;
        const hostId = req.hostId === "" ? undefined : req.hostId;
        const afterId = decodePageToken(req.pageToken);
        const [vms, total] = await Promise.all([
          provisioner.list({ tenantId, state, hostId, afterId, limit: limit + 1 }),
          provisioner.count({ tenantId, state, hostId }),
        ]);
        const page = vms.slice(0, limit);
        const last = page[page.length - 1];
        return {
          vms: page.map(toVmInfo),
          nextPageToken: vms.length > limit && last ? encodePageToken(last.record.id) : "",
          totalCount: total,
        };
      }),

    bootVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const state = await provisioner.boot(requireVmId(req.vmId), actorOf(ctx));
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),

    shutdownVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const state = await provisioner.shutdown(requireVmId(req.vmId), actorOf(ctx));
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),

    isolateVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const isolated = await provisioner.setIsolated(
          requireVmId(req.vmId),
          true,
          req.reason,
          actorOf(ctx),
        );
        if (isolated === undefined) throw notFound(req.vmId);
        return { success: true, isolated };
      }),

    unisolateVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const isolated = await provisioner.setIsolated(
          requireVmId(req.vmId),
          false,
          req.reason,
          actorOf(ctx),
        );
        if (isolated === undefined) throw notFound(req.vmId);
        return { success: true, isolated };
      }),

    updateVmNetworkSecurity: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        if (!req.security) throw new ConnectError("security: is required", Code.InvalidArgument);
        if (req.interfaceId !== "") {
          throw new ConnectError(
            "interface_id: security applies to every interface; use UpdateVmNetwork for one",
            Code.InvalidArgument,
          );
        }
        const patch = toJson(IPv6SecurityConfigSchema, req.security, { useProtoFieldName: true });
        const vm = await provisioner.reconfigure(
          requireVmId(req.vmId),
          securityPatch(patch, req.replace),
          actorOf(ctx),
          "vm.update_security",
        );
        if (!vm) throw notFound(req.vmId);
        const first = vm.effective[0];
        return {
          vmId: vm.record.id,
          security: first ? toIPv6SecurityConfig(first.policy, vm.spec.profile) : undefined,
          configVersion: vm.record.configVersion,
        };
      }),

    getVmNetworkSecurity: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const vm = await provisioner.get(requireVmId(req.vmId));
        if (!vm) throw notFound(req.vmId);
        const provenance = provisioner.provenance(vm);
        return {
          vmId: vm.record.id,
          profile: profileToProto(vm.spec.profile),
          isolated: vm.record.isolated,
          configVersion: vm.record.configVersion,
          lastUpdated: timestampFromDate(vm.record.updatedAt),
          notEnforced: (await notEnforced?.of(vm, provenance)) ?? [],
          interfaces: provenance.map((p, i) => ({
            interfaceId: p.interfaceId,
            effective: toIPv6SecurityConfig(p.policy, vm.spec.profile),
            sources: Object.entries(p.sources).map(([field, source]) => ({
              field,
              source,
              value: policyValueJson(p.policy, field),
            })),
            securityPolicy: toInterfaceView(vm.spec.interfaces[i] as InterfaceSpec, p.policy, "")
              .securityPolicy,
            raGuardActive: p.policy.raGuard.enabled,
            sourceValidationActive: p.policy.sourceValidation.sourceGuard,
            rateLimitActive:
              p.policy.rateLimits.maxPpsPerVm > 0 || p.policy.rateLimits.maxBandwidthPerVm > 0,
          })),
        };
      }),

    updateVmNetwork: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const changes = {
          ipv6:
            req.ipv6 && toJson(InterfaceIPv6ConfigSchema, req.ipv6, { useProtoFieldName: true }),
          security_policy:
            req.securityPolicy &&
            toJson(SecurityPolicySchema, req.securityPolicy, { useProtoFieldName: true }),
        };
        const vm = await provisioner.reconfigure(
          requireVmId(req.vmId),
          interfacePatch(req.interfaceId, changes),
          actorOf(ctx),
          "vm.update_network",
        );
        if (!vm) throw notFound(req.vmId);
        const index =
          req.interfaceId === ""
            ? 0
            : vm.spec.interfaces.findIndex((i) => i.id === req.interfaceId);
        const response = toGetVmResponse(vm);
        return {
          vmId: vm.record.id,
          interface: response.network[index],
          configVersion: vm.record.configVersion,
        };
      }),

    updateSecurityPolicy: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        if (!req.securityPolicy)
          throw new ConnectError("security_policy: is required", Code.InvalidArgument);
        const policy = toJson(SecurityPolicySchema, req.securityPolicy, {
          useProtoFieldName: true,
        });
        const vm = await provisioner.reconfigure(
          requireVmId(req.vmId),
          interfacePatch(req.interfaceId, { security_policy: policy }),
          actorOf(ctx),
          "vm.update_security_policy",
        );
        if (!vm) throw notFound(req.vmId);
        const index =
          req.interfaceId === ""
            ? 0
            : vm.spec.interfaces.findIndex((i) => i.id === req.interfaceId);
        return {
          vmId: vm.record.id,
          securityPolicy: toGetVmResponse(vm).network[index]?.securityPolicy,
          configVersion: vm.record.configVersion,
        };
      }),

    deleteVm: (req, ctx) =>
      guarded(async () => {
        const provisioner = provisionerFor(ctx);
        const state = await provisioner.delete(requireVmId(req.vmId), actorOf(ctx));
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),
  };
}
