// The VM lifecycle: normalize → validate → resolve → compile → persist → apply, with rollback.
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  compileHostPlan,
  FieldError,
  type HostDriver,
  normalizeCreateVm,
  type PolicyLayer,
  resolvePolicy,
  type SecurityPolicy,
  type SecurityProfileName,
  type VmSpec,
} from "@metald/core";
import { AddressTakenError, type VmRecord, type VmRepository, type VmStateName } from "@metald/db";
import { type CreateVmRequest, type VmConfig, VmConfigSchema } from "@metald/proto";
import type { FastifyBaseLogger } from "fastify";

export interface Clock {
  now(): Date;
}

export interface IdSource {
  vmId(): string;
  auditId(): string;
}

export interface EffectiveInterface {
  interfaceId: string;
  policy: SecurityPolicy;
}

/** A stored VM with its decoded configuration. */
export interface VmView {
  record: VmRecord;
  config: VmConfig;
  spec: VmSpec;
  effective: EffectiveInterface[];
}

export interface VmProvisionerOptions {
  repository: VmRepository;
  driver: HostDriver;
  clock: Clock;
  ids: IdSource;
  hostId: string;
  defaultProfile: SecurityProfileName;
  defaultTenant: string;
  /** The tenant layer of the effective policy (tenant configuration), if any. */
  tenantLayer?: (tenantId: string) => PolicyLayer | undefined;
  logger: FastifyBaseLogger;
}

export interface VmProvisioner {
  create(request: CreateVmRequest, actor: string): Promise<{ vmId: string; state: VmStateName }>;
  get(vmId: string): Promise<VmView | undefined>;
  list(filter: {
    tenantId?: string;
    state?: VmStateName;
    afterId?: string;
    limit: number;
  }): Promise<VmView[]>;
  count(filter: { tenantId?: string; state?: VmStateName }): Promise<number>;
  delete(vmId: string, actor: string): Promise<VmStateName | undefined>;
}

export function createVmProvisioner(options: VmProvisionerOptions): VmProvisioner {
  const { repository, driver, clock, ids, logger } = options;

  function view(record: VmRecord): VmView {
    return {
      record,
      config: fromJson(VmConfigSchema, record.config as JsonValue),
      spec: record.spec as VmSpec,
      effective: record.effective as EffectiveInterface[],
    };
  }

  return {
    async create(request, actor) {
      const { spec, config } = normalizeCreateVm(request, {
        defaultProfile: options.defaultProfile,
        defaultTenant: options.defaultTenant,
      });
      const tenant = options.tenantLayer?.(spec.tenantId);
      const effective: EffectiveInterface[] = spec.interfaces.map((iface) => {
        // Provenance (which layer set each value) is recomputed from the spec when asked for.
        const { policy } = resolvePolicy(
          { profile: spec.profile, tenant, request: iface.requestLayer, switches: iface.switches },
          { trackSources: false },
        );
        return { interfaceId: iface.id, policy };
      });
      const vmId = spec.vmId ?? ids.vmId();
      const plan = compileHostPlan(
        vmId,
        spec.tenantId,
        spec.interfaces.map((iface, i) => ({
          spec: iface,
          policy: (effective[i] as EffectiveInterface).policy,
        })),
      );
      const now = clock.now();
      try {
        await repository.insert({
          id: vmId,
          tenantId: spec.tenantId,
          hostId: options.hostId,
          state: "CREATED",
          applicationTier: spec.applicationTier,
          config: toJson(VmConfigSchema, config, { useProtoFieldName: true }),
          spec,
          effective,
          addresses: spec.interfaces.flatMap((iface) =>
            iface.addresses.map((a) => ({
              address: a.address,
              prefixLength: a.prefixLength,
              interfaceId: iface.id,
            })),
          ),
          createdAt: now,
          audit: {
            id: ids.auditId(),
            actor,
            action: "vm.create",
            details: { profile: spec.profile, form: spec.form, interfaces: spec.interfaces.length },
          },
        });
      } catch (error) {
        if (error instanceof AddressTakenError) {
          const path = spec.interfaces
            .flatMap((i) => i.addresses)
            .find((a) => a.address === error.address)?.path;
          throw new FieldError(
            path ?? "config",
            `${error.address} is already in use by another VM`,
            "already_exists",
          );
        }
        throw error;
      }
      try {
        await driver.applyVm(plan);
      } catch (error) {
        logger.error({ err: error, vmId }, "applying the host plan failed; discarding the VM");
        await driver.removeVm(vmId).catch(() => undefined);
        await repository.discard(vmId, clock.now(), {
          id: ids.auditId(),
          actor,
          action: "vm.create_failed",
          details: { error: String(error) },
        });
        throw error;
      }
      logger.info({ vmId, tenantId: spec.tenantId, profile: spec.profile }, "vm created");
      return { vmId, state: "CREATED" };
    },

    async get(vmId) {
      const record = await repository.get(vmId);
      return record && view(record);
    },

    async list(filter) {
      return (await repository.list(filter)).map(view);
    },

    count: (filter) => repository.count(filter),

    async delete(vmId, actor) {
      const record = await repository.get(vmId);
      if (!record) return undefined;
      if (record.state === "TERMINATED") return "TERMINATED";
      await driver.removeVm(vmId);
      await repository.terminate(vmId, clock.now(), {
        id: ids.auditId(),
        actor,
        action: "vm.delete",
        details: {},
      });
      logger.info({ vmId }, "vm deleted");
      return "TERMINATED";
    },
  };
}
