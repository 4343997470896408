// vmprovisioner.v1.VmService: the RPCs implemented so far; the rest answer `unimplemented`.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { profileToProto, tapName, toInterfaceView, toIPv6SecurityConfig } from "@metald/core";
import type { VmStateName } from "@metald/db";
import { GetVmResponseSchema, VmInfoSchema, type VmService, VmState } from "@metald/proto";
import type { VmProvisioner, VmView } from "../vm/vm-provisioner.js";
import { toConnectError } from "./to-connect-error.js";

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
  });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toConnectError(error);
  }
}

export function createVmServiceImpl(
  provisioner: VmProvisioner,
): Partial<ServiceImpl<typeof VmService>> {
  const actor = "operator";
  return {
    createVm: (req) =>
      guarded(async () => {
        const { vmId, state } = await provisioner.create(req, actor);
        return { vmId, state: stateToProto(state) };
      }),

    getVm: (req) =>
      guarded(async () => {
        const vm = await provisioner.get(requireVmId(req.vmId));
        if (!vm) throw notFound(req.vmId);
        return toGetVmResponse(vm);
      }),

    listVms: (req) =>
      guarded(async () => {
        const limit = req.pageSize === 0 ? MAX_PAGE : Math.min(req.pageSize, MAX_PAGE);
        const state =
          req.state === VmState.UNSPECIFIED
            ? undefined
            : (VmState[req.state] as VmStateName | undefined);
        if (req.state !== VmState.UNSPECIFIED && !state)
          throw new ConnectError("state: unknown VM state", Code.InvalidArgument);
        const tenantId = req.tenantId === "" ? undefined : req.tenantId;
        const afterId = decodePageToken(req.pageToken);
        const [vms, total] = await Promise.all([
          provisioner.list({ tenantId, state, afterId, limit: limit + 1 }),
          provisioner.count({ tenantId, state }),
        ]);
        const page = vms.slice(0, limit);
        const last = page[page.length - 1];
        return {
          vms: page.map(toVmInfo),
          nextPageToken: vms.length > limit && last ? encodePageToken(last.record.id) : "",
          totalCount: total,
        };
      }),

    bootVm: (req) =>
      guarded(async () => {
        const state = await provisioner.boot(requireVmId(req.vmId), actor);
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),

    shutdownVm: (req) =>
      guarded(async () => {
        const state = await provisioner.shutdown(requireVmId(req.vmId), actor);
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),

    isolateVm: (req) =>
      guarded(async () => {
        const isolated = await provisioner.setIsolated(
          requireVmId(req.vmId),
          true,
          req.reason,
          actor,
        );
        if (isolated === undefined) throw notFound(req.vmId);
        return { success: true, isolated };
      }),

    unisolateVm: (req) =>
      guarded(async () => {
        const isolated = await provisioner.setIsolated(
          requireVmId(req.vmId),
          false,
          req.reason,
          actor,
        );
        if (isolated === undefined) throw notFound(req.vmId);
        return { success: true, isolated };
      }),

    deleteVm: (req) =>
      guarded(async () => {
        const state = await provisioner.delete(requireVmId(req.vmId), actor);
        if (!state) throw notFound(req.vmId);
        return { success: true, state: stateToProto(state) };
      }),
  };
}
