// Moving a VM from one host of the fleet to another (MigrateVm, docs/fleet.md) with no moment in
// which the VM is unenforced where it runs. The request goes to the target host, which holds
// the VM's row, programs the VM's whole plan in its own kernel, and only then stores itself as
// the VM's host, in the transaction that holds the row. The source host learns of the move
// from the audit trail (a `vm.migrate` record naming it as the source) and removes its copy.
import type { HostDriver, VmRuntime } from "@metald/core";
import type {
  AuditEntry,
  HostRepository,
  StoredSecurityEvent,
  VmRepository,
  VmStateName,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import { isHostStale } from "../fleet/host-staleness.js";
import { type ControlEventSink, configChangeEvent } from "./control-events.js";
import type { HostChangeLock } from "./host-change-lock.js";
import { type VmProvisioner, VmStateError } from "./vm-provisioner.js";

/** The audit trail's moves away from a host, in commit order (see audit-writer.ts). */
export interface MoveLog {
  /** The position of the newest audit record; moves after it are read by movesFrom. */
  position(): Promise<number>;
  /** `vm.migrate` records whose source is `hostId`, after `afterSeq`, oldest first. */
  movesFrom(
    hostId: string,
    afterSeq: number,
    limit: number,
  ): Promise<{ seq: number; vmId: string }[]>;
}

export interface VmMigrationOptions {
  hostId: string;
  /**
   * Whether the database is shared by hosts (PostgreSQL). PGlite lives inside one process: no
   * other host holds a VM there, and its one connection could not serve the driver while the
   * move holds the VM's row, so a move is refused.
   */
  sharedDatabase: boolean;
  provisioner: Pick<VmProvisioner, "get" | "plan">;
  repository: Pick<VmRepository, "get" | "moveHost">;
  hosts: Pick<HostRepository, "get">;
  moves: MoveLog;
  driver: HostDriver;
  runtime: VmRuntime;
  hostLock: HostChangeLock;
  clock: { now(): Date };
  auditId: () => string;
  events?: ControlEventSink;
  logger: FastifyBaseLogger;
  /** Told of each VM this host gave up, once its copy is removed (the live-VM index). */
  onReleased?: (vmId: string) => void;
}

export interface MigrationResult {
  vmId: string;
  hostId: string;
  sourceHostId: string;
  moved: boolean;
  state: VmStateName;
}

export interface VmMigration {
  /** Moves the VM to this host; undefined when there is no such VM. */
  migrateHere(vmId: string, actor: string, reason: string): Promise<MigrationResult | undefined>;
  /**
   * Removes this host's copy of every VM that moved away since the last call (from the
   * position taken by `start`); returns the VMs released. A copy that could not be removed is
   * tried again at the next call.
   */
  releaseMoved(): Promise<string[]>;
  /** Takes the audit trail's position: moves before it are the start-up reconcile's. */
  start(): Promise<void>;
}

export function createVmMigration(options: VmMigrationOptions): VmMigration {
  const { hostId, provisioner, repository, driver, runtime, hostLock, clock, logger } = options;
  let position: number | undefined;
  const retry = new Set<string>();

  async function release(vmId: string): Promise<boolean> {
    return hostLock.shared(vmId, async () => {
      const vm = await provisioner.get(vmId);
      // Moved back here since (or gone): this host's own again, or nothing to remove.
      if (!vm || vm.record.hostId === hostId) return false;
      const plan = provisioner.plan(vm);
      if (vm.record.state === "RUNNING")
        await runtime.shutdown(plan).catch((error: unknown) => {
          logger.warn({ err: error, vmId }, "stopping the guest of a VM that moved away failed");
        });
      await driver.removeVm(plan);
      logger.info(
        { vmId, hostId: vm.record.hostId },
        "vm moved to another host; its copy here is removed",
      );
      options.onReleased?.(vmId);
      return true;
    });
  }

  return {
    async start() {
      position = await options.moves.position();
    },

    async releaseMoved() {
      if (position === undefined) position = await options.moves.position();
      const due = new Set(retry);
      for (;;) {
        const page = await options.moves.movesFrom(hostId, position, 100);
        for (const move of page) due.add(move.vmId);
        const last = page.at(-1);
        if (!last) break;
        position = last.seq;
      }
      const released: string[] = [];
      for (const vmId of due) {
        try {
          if (await release(vmId)) released.push(vmId);
          retry.delete(vmId);
        } catch (error) {
          retry.add(vmId);
          logger.error(
            { err: error, vmId },
            "removing the copy of a VM that moved away failed; will retry",
          );
        }
      }
      return released;
    },

    migrateHere: (vmId, actor, reason) =>
      hostLock.shared(vmId, async () => {
        if (!options.sharedDatabase)
          throw new VmStateError(
            "MigrateVm needs a database shared by the hosts (PostgreSQL, DATABASE_URL): this host keeps its database inside its own process",
          );
        const vm = await provisioner.get(vmId);
        if (!vm) return undefined;
        const { record } = vm;
        const result = { vmId, hostId, sourceHostId: record.hostId, state: record.state };
        // A retry of a move that took effect: nothing to do.
        if (record.hostId === hostId) return { ...result, moved: false };
        if (record.state === "TERMINATED" || record.state === "FAILED")
          throw new VmStateError(`vm ${vmId} is ${record.state}; only a live VM moves`);
        const source = await options.hosts.get(record.hostId);
        const sourceLive = source !== undefined && !isHostStale(source, clock.now());
        // A stale source could not stop its guest nor remove its copy: a running VM would run
        // twice. A stopped VM moves from anywhere; the source's start-up reconcile removes it.
        if (!sourceLive && record.state === "RUNNING")
          throw new VmStateError(
            `vm ${vmId} is RUNNING on host ${JSON.stringify(record.hostId)}, which is ${source ? `stale (last heartbeat ${source.lastHeartbeatAt.toISOString()})` : "not registered"}: a running VM moves only from a live host`,
          );
        const plan = provisioner.plan(vm);
        let programmed = false;
        const at = clock.now();
        const auditId = options.auditId();
        const details = { from_host: record.hostId, to_host: hostId, reason };
        const event = configChangeEvent(
          { vmId, tenantId: record.tenantId, policy: vm.effective[0]?.policy },
          "vm.migrate",
          actor,
          details,
        );
        const audit: AuditEntry = {
          id: auditId,
          actor,
          action: "vm.migrate",
          details,
          before: { host_id: record.hostId },
          after: { host_id: hostId },
          event: options.events?.prepare({
            ...event,
            timestamp: at,
            details: { ...event.details, audit_id: auditId },
          }),
        };
        let stored: StoredSecurityEvent[];
        try {
          stored = await repository.moveHost(
            vmId,
            {
              hostId: record.hostId,
              configVersion: record.configVersion,
              isolated: record.isolated,
              state: record.state,
            },
            hostId,
            async () => {
              // Enforcement first, the guest after it: nothing runs here unenforced.
              programmed = true;
              await driver.applyVm(plan);
              if (record.state === "RUNNING") await runtime.boot(plan);
            },
            at,
            audit,
          );
        } catch (error) {
          if (programmed) {
            // A commit whose answer was lost may still have moved the VM here: keep it then.
            const now = await repository.get(vmId).catch(() => undefined);
            if (now?.hostId !== hostId) {
              logger.error(
                { err: error, vmId },
                "moving the VM here failed; removing what was programmed",
              );
              if (record.state === "RUNNING") await runtime.shutdown(plan).catch(() => undefined);
              await driver.removeVm(plan).catch((cleanupError: unknown) => {
                logger.error(
                  { err: cleanupError, vmId },
                  "removing the programmed copy failed; reconcile the host",
                );
              });
            }
          }
          throw error;
        }
        if (stored.length > 0) options.events?.announce(stored);
        logger.info({ vmId, from: record.hostId, reason }, "vm moved to this host");
        return { ...result, hostId, moved: true };
      }),
  };
}
