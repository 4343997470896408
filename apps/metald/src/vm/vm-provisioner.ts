// The VM lifecycle: normalize → validate → resolve → compile → persist → apply, with rollback;
// boot and shutdown through the runtime; reconcile the host from the database. Each change
// stores its control-plane event with itself (see control-events.ts) and holds the host change
// lock from persist to apply, so that a reconcile never sees it halfway.
import { create, fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import {
  compileHostPlan,
  FieldError,
  type HostDriver,
  type HostPathPolicy,
  type HostPlan,
  type MachinePlan,
  normalizeCreateVm,
  type PolicyLayer,
  type PolicySource,
  resolvePolicy,
  type SecurityPolicy,
  type SecurityProfileName,
  type VmRuntime,
  type VmSpec,
} from "@metald/core";
import {
  AddressTakenError,
  type AuditEntry,
  type StoredSecurityEvent,
  type VmRecord,
  type VmRepository,
  type VmStateName,
} from "@metald/db";
import {
  type CreateVmRequest,
  CreateVmRequestSchema,
  type VmConfig,
  VmConfigSchema,
} from "@metald/proto";
import type { FastifyBaseLogger } from "fastify";
import type { EventInput } from "../events/event-pipeline.js";
import type { AddressAllocator } from "../ipam/address-allocator.js";
import { AllocationCollision, addressInUse, assignAddresses } from "./address-assignment.js";
import type { BridgeAccess } from "./bridge-access.js";
import {
  type ControlEventSink,
  changedControls,
  configChangeEvent,
  quarantineEvent,
  quarantineRevertedEvent,
  reconcileRepairEvent,
} from "./control-events.js";
import { createHostChangeLock, type HostChangeLock } from "./host-change-lock.js";

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
  runtime: VmRuntime;
  clock: Clock;
  ids: IdSource;
  hostId: string;
  defaultProfile: SecurityProfileName;
  defaultTenant: string;
  /** The tenant layer of the effective policy (tenant configuration), if any. */
  tenantLayer?: (tenantId: string) => PolicyLayer | undefined;
  logger: FastifyBaseLogger;
  /**
   * Control-plane security events (configuration changes, quarantine, repairs); without it,
   * changes store their audit records only.
   */
  events?: ControlEventSink;
  /** IPv6 address pools; without them a VM gets only the addresses its request gives. */
  addresses?: AddressAllocator;
  /** Seconds the host took to put a VM's enforcement in force, per operation. */
  observeApply?: (operation: "create" | "update" | "quarantine", seconds: number) => void;
  /** Seconds a whole request took (validation, policy, database and host), per operation. */
  observeRequest?: (operation: "create" | "update" | "quarantine", seconds: number) => void;
  /** Which host files (kernel, initrd, disks) a VM may be given: checked before storing. */
  hostPaths?: HostPathPolicy;
  /** Which existing host bridges a VM may be put on: checked before storing. */
  bridges?: BridgeAccess;
  /**
   * The host change lock, given when other host changes (the host-wide blocked sources) must
   * not be seen halfway by a reconcile either; by default one of the provisioner's own.
   */
  hostLock?: HostChangeLock;
  /**
   * Names the VMs' guest namespaces after this scope too (a sandbox other than the default
   * one): two sandboxes on one kernel then each hold their own guest of a VM that moves.
   */
  guestScope?: string;
}

/** Who asks: a tenant token may give its VMs fewer host files than an operator. */
export type CallerRole = "operator" | "tenant";

/** Why a lifecycle request does not fit the VM's state. */
export class VmStateError extends Error {
  override name = "VmStateError";
}

/**
 * A change to a VM placed on another host of the fleet: refused, not forwarded (docs/fleet.md);
 * the message names the owning host, where the caller sends it instead.
 */
export class VmOwnedElsewhereError extends VmStateError {
  override name = "VmOwnedElsewhereError";
  constructor(
    readonly vmId: string,
    readonly ownerHostId: string,
    readonly servingHostId: string,
  ) {
    super(
      `vm ${vmId} runs on host ${JSON.stringify(ownerHostId)}, not on this host (${JSON.stringify(servingHostId)}): send the change to host ${JSON.stringify(ownerHostId)}`,
    );
  }
}

export interface VmProvisioner {
  create(
    request: CreateVmRequest,
    actor: string,
    caller?: CallerRole,
  ): Promise<{ vmId: string; state: VmStateName }>;
  get(vmId: string): Promise<VmView | undefined>;
  /** Fleet-wide: every host's VMs, or one host's (hostId). */
  list(filter: {
    tenantId?: string;
    state?: VmStateName;
    excludeStates?: VmStateName[];
    hostId?: string;
    afterId?: string;
    limit: number;
  }): Promise<VmView[]>;
  count(filter: { tenantId?: string; state?: VmStateName; hostId?: string }): Promise<number>;
  delete(vmId: string, actor: string): Promise<VmStateName | undefined>;
  boot(vmId: string, actor: string): Promise<VmStateName | undefined>;
  shutdown(vmId: string, actor: string): Promise<VmStateName | undefined>;
  /** Quarantines (true) or releases (false) a VM: every frame from and to it is dropped and counted. */
  setIsolated(
    vmId: string,
    isolated: boolean,
    reason: string,
    actor: string,
  ): Promise<boolean | undefined>;
  /**
   * Changes a VM's configuration: `edit` turns the stored config (protobuf JSON) into the new
   * one, which is validated like a CreateVm config, stored as a new version and applied; if the
   * host refuses it, the previous version is stored again and re-applied.
   */
  reconfigure(
    vmId: string,
    edit: (config: JsonValue, view: VmView) => JsonValue,
    actor: string,
    action: string,
    caller?: CallerRole,
  ): Promise<VmView | undefined>;
  /** Effective policy per interface with the layer each value came from. */
  provenance(
    view: VmView,
  ): { interfaceId: string; policy: SecurityPolicy; sources: Record<string, PolicySource> }[];
  /** The configuration version in force at `at`, if the VM existed then. */
  versionAt(
    vmId: string,
    at: Date,
  ): Promise<
    | {
        version: number;
        createdAt: Date;
        config: unknown;
        spec: VmSpec;
        effective: EffectiveInterface[];
      }
    | undefined
  >;
  /** The host plan a stored VM has (what the driver applied). */
  plan(view: VmView): HostPlan;
  /**
   * Rebuilds the host's enforcement from the database: every live VM applied again, with the
   * host-wide blocked sources (or a function reading them, called while the host is held).
   */
  reconcile(
    blockedSources: string[] | (() => Promise<string[]>),
  ): Promise<{ vms: number; created: number; removed: string[] }>;
}

function machineOf(spec: VmSpec): MachinePlan {
  const r = spec.resources;
  return {
    vcpuCount: r.vcpuCount,
    memoryMib: Math.floor(r.memoryBytes / 1024 ** 2),
    kernelPath: r.kernelPath,
    kernelArgs: r.kernelArgs,
    initrdPath: r.initrdPath,
    drives: r.storage,
  };
}

export function planFor(view: VmView, guestScope?: string): HostPlan {
  return compileHostPlan(
    {
      guestScope,
      vmId: view.record.id,
      tenantId: view.record.tenantId,
      isolated: view.record.isolated,
      tenantMark: view.record.tenantMark,
      machine: machineOf(view.spec),
    },
    view.spec.interfaces.map((iface, i) => ({
      spec: iface,
      policy: (view.effective[i] as EffectiveInterface).policy,
    })),
  );
}

export function createVmProvisioner(options: VmProvisionerOptions): VmProvisioner {
  const { repository, driver, runtime, clock, ids, logger } = options;
  const hostLock = options.hostLock ?? createHostChangeLock();
  const planOf = (v: VmView) => planFor(v, options.guestScope);
  /** Live listeners hear of a change's events once it committed (the log has them already). */
  const announce = (stored: StoredSecurityEvent[] | undefined) => {
    if (stored && stored.length > 0) options.events?.announce(stored);
  };
  /** Changes reach only this host's VMs: another host programs its own. */
  const ownedHere = (record: { id: string; hostId: string }) => {
    if (record.hostId !== options.hostId)
      throw new VmOwnedElsewhereError(record.id, record.hostId, options.hostId);
  };
  /** Applies a plan, timing how long the host took. */
  async function applyTimed(plan: HostPlan, operation: "create" | "update" | "quarantine") {
    const started = process.hrtime.bigint();
    await driver.applyVm(plan);
    options.observeApply?.(operation, Number(process.hrtime.bigint() - started) / 1e9);
  }

  function view(record: VmRecord): VmView {
    return {
      record,
      config: fromJson(VmConfigSchema, record.config as JsonValue),
      spec: record.spec as VmSpec,
      effective: record.effective as EffectiveInterface[],
    };
  }

  /**
   * A change's audit record made at `at`, with the control-plane event describing it: both are
   * stored by the change's transaction. The event names its audit record.
   */
  const audit = (
    at: Date,
    actor: string,
    action: string,
    details: Record<string, unknown> = {},
    event?: EventInput,
    change: { before?: unknown; after?: unknown } = {},
  ): AuditEntry => {
    const id = ids.auditId();
    const sink = options.events;
    return {
      id,
      actor,
      action,
      details,
      ...change,
      event:
        event &&
        sink?.prepare({ ...event, timestamp: at, details: { ...event.details, audit_id: id } }),
    };
  };

  /** Normalizes, validates and resolves a request; compiles the host plan. */
  const tenantMarks = new Map<string, number>();
  async function tenantMark(tenantId: string): Promise<number> {
    let mark = tenantMarks.get(tenantId);
    if (mark === undefined) {
      mark = await repository.tenantMark(tenantId);
      tenantMarks.set(tenantId, mark);
    }
    return mark;
  }

  async function prepare(
    request: CreateVmRequest,
    vmIdOf: (spec: VmSpec) => string,
    isolated: boolean,
    previous?: VmSpec,
  ) {
    const { spec, config } = normalizeCreateVm(request, {
      defaultProfile: options.defaultProfile,
      defaultTenant: options.defaultTenant,
    });
    if (options.addresses) await assignAddresses(options.addresses, spec, previous);
    const tenant = options.tenantLayer?.(spec.tenantId);
    const effective: EffectiveInterface[] = spec.interfaces.map((iface) => {
      // Provenance (which layer set each value) is recomputed from the spec when asked for.
      const { policy } = resolvePolicy(
        { profile: spec.profile, tenant, request: iface.requestLayer, switches: iface.switches },
        { trackSources: false },
      );
      return { interfaceId: iface.id, policy };
    });
    const vmId = vmIdOf(spec);
    const plan = compileHostPlan(
      {
        guestScope: options.guestScope,
        vmId,
        tenantId: spec.tenantId,
        isolated,
        tenantMark: await tenantMark(spec.tenantId),
        machine: machineOf(spec),
      },
      spec.interfaces.map((iface, i) => ({
        spec: iface,
        policy: (effective[i] as EffectiveInterface).policy,
      })),
    );
    const addresses = spec.interfaces.flatMap((iface) =>
      iface.addresses.map((a) => ({
        address: a.address,
        prefixLength: a.prefixLength,
        interfaceId: iface.id,
        poolId: a.poolId ?? null,
      })),
    );
    return { spec, config, effective, vmId, plan, addresses };
  }

  /** The VM's host files and bridges, before anything is stored; `kept`: bridges it is on. */
  async function checkHostAccess(
    prepared: { spec: VmSpec; config: VmConfig; plan: HostPlan },
    caller: CallerRole,
    kept?: ReadonlySet<string>,
  ): Promise<void> {
    await options.hostPaths?.check(prepared.spec.resources, {
      tenantId: prepared.spec.tenantId,
      tenantToken: caller === "tenant",
    });
    await options.bridges?.check(prepared, kept);
  }

  // Checked again at boot: a file may have been replaced since the VM was created.
  async function checkBootFiles(plan: HostPlan): Promise<void> {
    const m = plan.machine;
    if (!options.hostPaths || !m) return;
    try {
      await options.hostPaths.check(
        { kernelPath: m.kernelPath, initrdPath: m.initrdPath, storage: m.drives },
        { tenantId: plan.tenantId, tenantToken: false },
      );
    } catch (error) {
      if (error instanceof FieldError)
        throw new VmStateError(`vm ${plan.vmId} cannot boot: ${error.message}`);
      throw error;
    }
  }

  async function transition(
    vmId: string,
    actor: string,
    to: VmStateName,
    from: VmStateName[],
    act: (plan: HostPlan) => Promise<void>,
  ): Promise<VmStateName | undefined> {
    return hostLock.shared(vmId, async () => {
      const record = await repository.get(vmId);
      if (!record) return undefined;
      ownedHere(record);
      if (record.state === to) return to;
      if (!from.includes(record.state)) {
        throw new VmStateError(
          `vm ${vmId} is ${record.state}; ${to === "RUNNING" ? "boot" : "shutdown"} needs ${from.join(" or ")}`,
        );
      }
      await act(planOf(view(record)));
      // Runtime state, not network configuration: audited, with no control-plane event.
      const at = clock.now();
      const moved = await repository.setState(
        vmId,
        from,
        to,
        at,
        audit(at, actor, `vm.${to.toLowerCase()}`, {}, undefined, {
          before: { state: record.state },
          after: { state: to },
        }),
      );
      if (!moved) throw new VmStateError(`vm ${vmId} changed state meanwhile`);
      return to;
    });
  }

  async function createOnce(
    request: CreateVmRequest,
    actor: string,
    caller: CallerRole,
  ): Promise<{ vmId: string; state: VmStateName }> {
    const { spec, config, effective, vmId, plan, addresses } = await prepare(
      request,
      (sp) => sp.vmId ?? ids.vmId(),
      false,
    );
    await checkHostAccess({ spec, config, plan }, caller);
    const vm = { vmId, tenantId: spec.tenantId, policy: effective[0]?.policy };
    const configJson = toJson(VmConfigSchema, config, { useProtoFieldName: true });
    return hostLock.shared(vmId, async () => {
      const now = clock.now();
      let stored: StoredSecurityEvent[];
      try {
        stored = await repository.insert({
          id: vmId,
          tenantId: spec.tenantId,
          hostId: options.hostId,
          state: "CREATED",
          applicationTier: spec.applicationTier,
          config: configJson,
          spec,
          effective,
          addresses,
          createdAt: now,
          audit: audit(
            now,
            actor,
            "vm.create",
            { profile: spec.profile, form: spec.form, interfaces: spec.interfaces.length },
            configChangeEvent(vm, "vm.create", actor, { profile: spec.profile }),
            { before: null, after: configJson },
          ),
        });
      } catch (error) {
        if (error instanceof AddressTakenError) throw addressInUse(spec, error);
        throw error;
      }
      try {
        await applyTimed(plan, "create");
      } catch (error) {
        announce(stored);
        logger.error({ err: error, vmId }, "applying the host plan failed; discarding the VM");
        await driver.removeVm(plan).catch((cleanupError: unknown) => {
          logger.error(
            { err: cleanupError, vmId },
            "removing the discarded VM's host resources failed; reconcile the host",
          );
        });
        const at = clock.now();
        const failure = { error: String(error) };
        announce(
          await repository.discard(
            vmId,
            at,
            audit(
              at,
              actor,
              "vm.create_failed",
              failure,
              configChangeEvent(vm, "vm.create_failed", actor, failure),
            ),
          ),
        );
        throw error;
      }
      logger.info({ vmId, tenantId: spec.tenantId, profile: spec.profile }, "vm created");
      announce(stored);
      return { vmId, state: "CREATED" as const };
    });
  }

  async function reconfigureNow(
    vmId: string,
    edit: (config: JsonValue, view: VmView) => JsonValue,
    actor: string,
    action: string,
    caller: CallerRole,
  ): Promise<VmView | undefined> {
    const record = await repository.get(vmId);
    if (!record) return undefined;
    ownedHere(record);
    if (record.state === "TERMINATED") throw new VmStateError(`vm ${vmId} is TERMINATED`);
    const before = view(record);
    const nextJson = edit(record.config as JsonValue, before);
    const request = create(CreateVmRequestSchema, {
      config: fromJson(VmConfigSchema, nextJson),
      applicationTier: record.applicationTier,
    });
    const next = await prepare(request, () => vmId, record.isolated, before.spec);
    if (next.spec.tenantId !== record.tenantId) {
      throw new FieldError(
        "config.tenant_id",
        `a VM cannot move to another tenant (it belongs to ${record.tenantId})`,
      );
    }
    await checkHostAccess(next, caller, new Set(planOf(before).ports.map((p) => p.bridge)));
    const stored = (p: Awaited<ReturnType<typeof prepare>>) => ({
      config: toJson(VmConfigSchema, p.config, { useProtoFieldName: true }),
      spec: p.spec,
      effective: p.effective,
      addresses: p.addresses,
    });
    const after = next.effective[0]?.policy;
    const beforePolicy = before.effective[0]?.policy;
    const vm = { vmId, tenantId: record.tenantId };
    let version: number;
    let changed: StoredSecurityEvent[];
    try {
      const at = clock.now();
      ({ version, events: changed } = await repository.updateConfig(
        vmId,
        record.configVersion,
        stored(next),
        at,
        audit(
          at,
          actor,
          action,
          {},
          configChangeEvent({ ...vm, policy: after }, action, actor, {
            version: record.configVersion + 1,
            changed_controls: changedControls(beforePolicy, after),
          }),
          { before: record.config, after: stored(next).config },
        ),
      ));
    } catch (error) {
      if (error instanceof AddressTakenError) {
        // No retry for a change: report the address as taken.
        const inUse = addressInUse(next.spec, error);
        throw inUse instanceof AllocationCollision ? inUse.fieldError : inUse;
      }
      throw error;
    }
    try {
      await applyTimed(next.plan, "update");
      if (record.state === "RUNNING") await runtime.boot(next.plan);
    } catch (error) {
      announce(changed);
      logger.error(
        { err: error, vmId },
        "applying the new configuration failed; restoring the previous one",
      );
      const restored = {
        config: record.config,
        spec: record.spec,
        effective: record.effective,
        addresses: before.spec.interfaces.flatMap((iface) =>
          iface.addresses.map((a) => ({
            address: a.address,
            prefixLength: a.prefixLength,
            interfaceId: iface.id,
            poolId: a.poolId ?? null,
          })),
        ),
      };
      const at = clock.now();
      const failure = { error: String(error) };
      const reverted = await repository.updateConfig(
        vmId,
        version,
        restored,
        at,
        audit(
          at,
          actor,
          `${action}_reverted`,
          failure,
          configChangeEvent({ ...vm, policy: beforePolicy }, `${action}_reverted`, actor, {
            version: version + 1,
            changed_controls: changedControls(after, beforePolicy),
            ...failure,
          }),
        ),
      );
      announce(reverted.events);
      // The caller hears why the change failed; a host left apart from the database by a
      // failed restore is the reconciler's to repair.
      await driver.applyVm(planOf(before)).catch((restoreError: unknown) => {
        logger.error(
          { err: restoreError, vmId },
          "re-applying the previous configuration failed; reconcile the host",
        );
      });
      throw error;
    }
    logger.info({ vmId, version, action }, "vm configuration changed");
    announce(changed);
    const updated = await repository.get(vmId);
    return updated && view(updated);
  }

  const provisioner: VmProvisioner = {
    plan: planOf,

    async create(request, actor, caller = "operator") {
      // An allocated address can collide with one another VM was given explicitly (or with a
      // freed address two requests found at once): draw again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await createOnce(request, actor, caller);
        } catch (error) {
          if (!(error instanceof AllocationCollision) || attempt >= 8) {
            throw error instanceof AllocationCollision ? error.fieldError : error;
          }
        }
      }
    },

    async get(vmId) {
      const record = await repository.get(vmId);
      return record && view(record);
    },

    async list(filter) {
      return (await repository.list(filter)).map(view);
    },

    count: (filter) => repository.count(filter),

    async versionAt(vmId, at) {
      const v = await repository.versionAt(vmId, at);
      return (
        v && {
          version: v.version,
          createdAt: v.createdAt,
          config: v.config,
          spec: v.spec as VmSpec,
          effective: v.effective as EffectiveInterface[],
        }
      );
    },

    delete: (vmId, actor) =>
      hostLock.shared(vmId, async () => {
        const record = await repository.get(vmId);
        if (!record) return undefined;
        ownedHere(record);
        if (record.state === "TERMINATED") return "TERMINATED";
        const plan = planOf(view(record));
        if (record.state === "RUNNING") await runtime.shutdown(plan).catch(() => undefined);
        // Host first: a crash before the row is terminated leaves a live VM, which the next
        // reconcile puts back on the host.
        await driver.removeVm(plan);
        const at = clock.now();
        const vm = { vmId, tenantId: record.tenantId, policy: view(record).effective[0]?.policy };
        const stored = await repository.terminate(
          vmId,
          at,
          audit(at, actor, "vm.delete", {}, configChangeEvent(vm, "vm.delete", actor), {
            before: { state: record.state, config: record.config },
            after: { state: "TERMINATED" },
          }),
        );
        logger.info({ vmId }, "vm deleted");
        announce(stored);
        return "TERMINATED" as const;
      }),

    boot: (vmId, actor) =>
      transition(vmId, actor, "RUNNING", ["CREATED", "SHUTDOWN"], async (plan) => {
        await checkBootFiles(plan);
        await runtime.boot(plan);
      }),

    shutdown: (vmId, actor) =>
      transition(vmId, actor, "SHUTDOWN", ["RUNNING"], (plan) => runtime.shutdown(plan)),

    reconfigure: (vmId, edit, actor, action, caller = "operator") =>
      hostLock.shared(vmId, () => reconfigureNow(vmId, edit, actor, action, caller)),

    provenance(vmView) {
      const tenant = options.tenantLayer?.(vmView.record.tenantId);
      return vmView.spec.interfaces.map((iface) => {
        const { policy, sources } = resolvePolicy({
          profile: vmView.spec.profile,
          tenant,
          request: iface.requestLayer,
          switches: iface.switches,
        });
        return { interfaceId: iface.id, policy, sources };
      });
    },

    setIsolated: (vmId, isolated, reason, actor) =>
      hostLock.shared(vmId, async () => {
        const record = await repository.get(vmId);
        if (!record) return undefined;
        ownedHere(record);
        if (record.state === "TERMINATED") throw new VmStateError(`vm ${vmId} is TERMINATED`);
        if (record.isolated === isolated) return isolated;
        const action = isolated ? "vm.isolate" : "vm.unisolate";
        const vm = { vmId, tenantId: record.tenantId, policy: view(record).effective[0]?.policy };
        const at = clock.now();
        const changed = await repository.setIsolated(
          vmId,
          isolated,
          at,
          audit(at, actor, action, { reason }, quarantineEvent(vm, isolated, reason, actor), {
            before: { isolated: record.isolated },
            after: { isolated },
          }),
        );
        if (!changed) throw new VmStateError(`vm ${vmId} changed state meanwhile`);
        try {
          await applyTimed(planOf(view({ ...record, isolated })), "quarantine");
        } catch (error) {
          announce(changed);
          logger.error(
            { err: error, vmId },
            `applying ${action} failed; restoring the stored flag`,
          );
          // The host did not change: put the stored flag back so both still agree.
          const restoredAt = clock.now();
          const failure = String(error);
          announce(
            await repository.setIsolated(
              vmId,
              !isolated,
              restoredAt,
              audit(
                restoredAt,
                actor,
                `${action}_failed`,
                { error: failure },
                quarantineRevertedEvent(vm, !isolated, action, failure, actor),
              ),
            ),
          );
          throw error;
        }
        logger.warn({ vmId, reason }, isolated ? "vm quarantined" : "vm released from quarantine");
        announce(changed);
        return isolated;
      }),

    async reconcile(blockedSources) {
      // Alone on the host: no change is between its persist and its apply while the database
      // is listed and the host made to match the list.
      const { live, result } = await hostLock.exclusive(async () => {
        const live: VmView[] = [];
        let afterId: string | undefined;
        for (;;) {
          // This host's VMs only: another host of the fleet enforces its own.
          const page = await repository.list({
            afterId,
            limit: 1000,
            hostId: options.hostId,
            excludeStates: ["TERMINATED", "FAILED"],
          });
          if (page.length === 0) break;
          afterId = page[page.length - 1]?.id;
          for (const record of page) live.push(view(record));
        }
        const plans = live.map((v) => planOf(v));
        // Read under the lock: a blocked-source change holds it from its row to its element.
        const blocked =
          typeof blockedSources === "function" ? await blockedSources() : blockedSources;
        const result = await driver.reconcile(plans, blocked);
        for (const [i, v] of live.entries()) {
          if (v.record.state === "RUNNING" && result.guestsDown.has(v.record.id)) {
            const plan = plans[i] as HostPlan;
            const refused = await checkBootFiles(plan).then(
              () => undefined,
              (error: unknown) => error,
            );
            if (refused) logger.error({ err: refused }, "not booting a VM whose files are refused");
            else await runtime.boot(plan);
          }
        }
        return { live, result };
      });
      logger.info(
        { vms: live.length, created: result.created, removed: result.removed, driver: driver.name },
        "host reconciled from the database",
      );
      // A repair changes no desired state: its event goes through the pipeline. A failure to
      // store it is logged (and retried from the pipeline's buffer); the host is repaired.
      if (result.created > 0 || result.removed.length > 0)
        await options.events
          ?.store([reconcileRepairEvent(live.length, result.created, result.removed)])
          .catch((error: unknown) => {
            logger.error({ err: error }, "storing the reconcile repair event failed; will retry");
          });
      return { vms: live.length, created: result.created, removed: result.removed };
    },
  };
  return options.observeRequest ? timedRequests(provisioner, options.observeRequest) : provisioner;
}

/** Times whole requests (validation, policy, database and host), as distinct from host time. */
function timedRequests(
  p: VmProvisioner,
  observe: (operation: "create" | "update" | "quarantine", seconds: number) => void,
): VmProvisioner {
  const timed =
    <A extends unknown[], R>(
      operation: "create" | "update" | "quarantine",
      f: (...args: A) => Promise<R>,
    ) =>
    async (...args: A): Promise<R> => {
      const started = process.hrtime.bigint();
      try {
        return await f(...args);
      } finally {
        observe(operation, Number(process.hrtime.bigint() - started) / 1e9);
      }
    };
  return {
    ...p,
    create: timed("create", p.create),
    reconfigure: timed("update", p.reconfigure),
    setIsolated: timed("quarantine", p.setIsolated),
  };
}
