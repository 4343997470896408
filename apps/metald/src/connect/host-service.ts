// vmprovisioner.v1.HostService: who the caller is and, for operators and auditors, what host
// this is and what its kernel can enforce (the driver's probe, run once); VM counts by state
// (one GROUP BY) and what enforces one VM (the last counter reading and the VM's set elements),
// both confined to a tenant token's own tenant; the fleet's registered hosts with whether each
// is stale (operators and auditors).
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { HostCapabilities, PortCounters } from "@metald/core";
import type { HostRepository, VmRepository, VmStateName } from "@metald/db";
import {
  CallerSchema,
  ControlCounterSchema,
  CountVmsResponseSchema,
  EnforcementElementSchema,
  FleetHostSchema,
  GetHostInfoResponseSchema,
  GetVmEnforcementResponseSchema,
  HostCapabilitiesSchema,
  type HostService,
  ListHostsResponseSchema,
  PrincipalKind,
  VmState,
  VmStateCountSchema,
} from "@metald/proto";
import type { AuthMode } from "../auth/principal.js";
import { PRINCIPAL } from "../auth/principal-context.js";
import { isHostStale } from "../fleet/host-staleness.js";
import type { VmProvisioner } from "../vm/vm-provisioner.js";
import { guarded } from "./to-connect-error.js";
import { vmEnforcementOf } from "./vm-enforcement.js";

export interface HostFacts {
  hostId: string;
  version: string;
  driver: string;
  database: string;
  authMode: AuthMode;
  /** The driver's capability probe. */
  compat: () => Promise<HostCapabilities>;
}

const KINDS = {
  operator: PrincipalKind.OPERATOR,
  tenant: PrincipalKind.TENANT,
  auditor: PrincipalKind.AUDITOR,
} as const;

function callerOf(ctx: HandlerContext) {
  // Without a principal (routes registered without authentication, as in unit tests): operator.
  const p = ctx.values.get(PRINCIPAL) ?? { kind: "operator" as const, name: "" };
  return create(CallerSchema, {
    kind: KINDS[p.kind],
    name: p.name,
    tenantId: p.kind === "tenant" ? p.tenantId : "",
  });
}

export interface HostServiceDeps {
  vms: Pick<VmRepository, "countByState">;
  /** The caller's view of the VMs (a tenant token's: its own). */
  provisionerFor: (ctx: HandlerContext) => VmProvisioner;
  /** The counter poller's last reading; undefined where the driver reads no kernel counters. */
  lastCounters?: () => PortCounters;
  /** The fleet's host registry (ListHosts) and the clock staleness is judged by. */
  fleet?: { hosts: Pick<HostRepository, "list">; now: () => Date };
}

const STATES = [
  VmState.CREATED,
  VmState.RUNNING,
  VmState.PAUSED,
  VmState.SHUTDOWN,
  VmState.TERMINATED,
  VmState.FAILED,
] as const;

export function createHostServiceImpl(
  facts: HostFacts,
  deps: HostServiceDeps,
): ServiceImpl<typeof HostService> {
  let probe: Promise<HostCapabilities> | undefined;
  return {
    async getHostInfo(_req, ctx) {
      const caller = callerOf(ctx);
      if (caller.kind === PrincipalKind.TENANT)
        return create(GetHostInfoResponseSchema, { caller });
      probe ??= facts.compat().catch((error: unknown) => {
        probe = undefined;
        throw error;
      });
      const c = await probe;
      return create(GetHostInfoResponseSchema, {
        caller,
        hostId: facts.hostId,
        version: facts.version,
        driver: facts.driver,
        database: facts.database,
        authMode: facts.authMode,
        capabilities: create(HostCapabilitiesSchema, {
          nftables: c.nftables,
          vlanDevices: c.vlanDevices,
          bridgeVlanFiltering: c.bridgeVlanFiltering,
          notes: c.notes,
        }),
      });
    },

    countVms: (req, ctx) =>
      guarded(async () => {
        const caller = callerOf(ctx);
        const tenantId =
          caller.kind === PrincipalKind.TENANT
            ? caller.tenantId
            : req.tenantId === ""
              ? undefined
              : req.tenantId;
        const counts = await deps.vms.countByState({ tenantId });
        const byState = STATES.map((state) =>
          create(VmStateCountSchema, {
            state,
            count: BigInt(counts[VmState[state] as VmStateName] ?? 0),
          }),
        );
        return create(CountVmsResponseSchema, {
          total: byState.reduce((sum, s) => sum + s.count, 0n),
          byState,
        });
      }),

    getVmEnforcement: (req, ctx) =>
      guarded(async () => {
        if (req.vmId === "") throw new ConnectError("vm_id: is required", Code.InvalidArgument);
        const provisioner = deps.provisionerFor(ctx);
        const vm = await provisioner.get(req.vmId);
        if (!vm) throw new ConnectError(`vm ${JSON.stringify(req.vmId)} not found`, Code.NotFound);
        // A terminated VM has no elements left on the host.
        const live = vm.record.state !== "TERMINATED";
        const enforcement = live
          ? vmEnforcementOf(
              provisioner.plan(vm),
              vm.spec.interfaces.map((i) => i.id),
              deps.lastCounters?.(),
            )
          : { counters: [], elements: [] };
        return create(GetVmEnforcementResponseSchema, {
          vmId: vm.record.id,
          countersAvailable: deps.lastCounters !== undefined,
          counters: enforcement.counters.map((c) => create(ControlCounterSchema, c)),
          elements: enforcement.elements.map((e) => create(EnforcementElementSchema, e)),
        });
      }),

    listHosts: (_req, ctx) =>
      guarded(async () => {
        if (callerOf(ctx).kind === PrincipalKind.TENANT)
          throw new ConnectError("ListHosts is for operators and auditors", Code.PermissionDenied);
        const hosts = (await deps.fleet?.hosts.list()) ?? [];
        const now = deps.fleet?.now() ?? new Date();
        return create(ListHostsResponseSchema, {
          servingHostId: facts.hostId,
          hosts: hosts.map((h) =>
            create(FleetHostSchema, {
              hostId: h.hostId,
              address: h.address,
              version: h.version,
              driver: h.driver,
              capabilities: create(HostCapabilitiesSchema, h.capabilities),
              startedAt: timestampFromDate(h.startedAt),
              lastHeartbeatAt: timestampFromDate(h.lastHeartbeatAt),
              heartbeatMs: h.heartbeatMs,
              stale: isHostStale(h, now),
            }),
          ),
        });
      }),
  };
}
