// Keeps every VM's compliance status current. It listens to the event pipeline's stored events:
// each VM change (create, update, quarantine, delete, and their reverts) stores a control-plane
// event, and the VM it names is evaluated again from the database. A tenant-layer reload or a
// new host probe re-evaluates every VM. Evaluations run one batch at a time (one writer), each
// batch one read and one write transaction; new and resolved violations become events and
// metric increments.
import {
  type ComplianceEvaluation,
  complianceTransition,
  evaluateCompliance,
  findRule,
  type HostEvidence,
  type PolicyLayer,
  type PreviousCompliance,
  packFindings,
  UNPROBED_HOST,
  unpackFindings,
} from "@metald/core";
import type {
  ComplianceRepository,
  StoredSecurityEvent,
  VmComplianceWrite,
  VmRecord,
  VmRepository,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import type { EventInput } from "../events/event-pipeline.js";
import type { ComplianceMetrics } from "../metrics/compliance-metrics.js";
import { restoredEvent, violationEvent } from "./compliance-events.js";
import { complianceSubject } from "./compliance-subject.js";

/** Events that mean a VM's configuration, quarantine or existence changed. */
const VM_CHANGE_EVENTS = new Set(["config_change", "vm_quarantined", "vm_released"]);

export interface ComplianceMonitorOptions {
  vms: Pick<VmRepository, "get" | "list">;
  compliance: ComplianceRepository;
  /** Where the violation events go (the event pipeline); resolves once they are stored. */
  events: { store(events: EventInput[]): Promise<void> };
  tenantLayer?: (tenantId: string) => PolicyLayer | undefined;
  now: () => Date;
  logger: FastifyBaseLogger;
  metrics?: ComplianceMetrics;
  /** VMs per read and write transaction (default 1,000). */
  batchSize?: number;
}

export interface ReevaluationStats {
  vms: number;
  removed: number;
  opened: number;
  resolved: number;
  /** Milliseconds spent reading VMs, evaluating, and writing statuses. */
  readMs: number;
  evaluateMs: number;
  writeMs: number;
}

export interface ComplianceMonitor {
  /** The event pipeline's listener: schedules the VMs that changed. */
  onStoredEvents(events: readonly StoredSecurityEvent[]): void;
  /** Evaluates one VM now (after what is scheduled). */
  evaluate(vmId: string): Promise<void>;
  /** Re-evaluates every VM (start, tenant-layer reload, new host probe). */
  reevaluateAll(reason: string): Promise<ReevaluationStats>;
  /** What the host can show; the caller re-evaluates after changing it. */
  setHost(host: HostEvidence): void;
  readonly host: HostEvidence;
  /** Resolves once every VM scheduled so far is evaluated. */
  settled(): Promise<void>;
}

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export function createComplianceMonitor(options: ComplianceMonitorOptions): ComplianceMonitor {
  const batchSize = options.batchSize ?? 1_000;
  let host = UNPROBED_HOST;
  const pending = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let draining = false;

  /** Runs `task` after every task queued before it; a failure is logged, never rethrown here. */
  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task);
    chain = run.catch((error: unknown) => {
      options.logger.error(
        { err: error },
        "compliance evaluation failed; will retry on the next change",
      );
    });
    return run;
  }

  function scheduleDrain(): void {
    if (draining) return;
    draining = true;
    void enqueue(async () => {
      draining = false;
      while (pending.size > 0) {
        const ids = [...pending].slice(0, batchSize);
        for (const id of ids) pending.delete(id);
        const records = await Promise.all(ids.map((id) => options.vms.get(id)));
        await evaluateBatch(
          records.filter((r): r is VmRecord => r !== undefined && live(r)),
          ids.filter((_id, i) => {
            const r = records[i];
            return r === undefined || !live(r);
          }),
        );
      }
    });
  }

  const live = (r: VmRecord) => r.state !== "TERMINATED" && r.state !== "FAILED";

  async function evaluateBatch(
    records: readonly VmRecord[],
    removed: readonly string[],
    stats?: ReevaluationStats,
  ): Promise<void> {
    let started = process.hrtime.bigint();
    const previous = await options.compliance.load(records.map((r) => r.id));
    if (stats) stats.readMs += elapsed(started);
    started = process.hrtime.bigint();
    const at = options.now();
    const writes: VmComplianceWrite[] = [];
    const evaluated: { vmId: string; tenantId: string }[] = [];
    /** Per VM with a change: its evaluation (for the encryption metric) and the event context. */
    const context = new Map<
      string,
      { evaluation: ComplianceEvaluation; status: string; retentionDays?: number }
    >();
    for (const record of records) {
      const subject = complianceSubject(record, options.tenantLayer?.(record.tenantId));
      const evaluation = evaluateCompliance(subject, host);
      const loaded = previous.get(record.id);
      const before: PreviousCompliance | undefined =
        loaded?.record || (loaded && loaded.open.length > 0)
          ? {
              status: loaded.record?.status ?? "COMPLIANT",
              since: loaded.record?.since ?? at,
              findings: unpackFindings(loaded.record?.findings),
              openViolations: loaded.open,
            }
          : undefined;
      const t = complianceTransition(before, evaluation, at, record.configVersion);
      if (t.unchanged && loaded?.record?.configVersion === record.configVersion) {
        evaluated.push({ vmId: record.id, tenantId: record.tenantId });
        continue;
      }
      writes.push({
        vmId: record.id,
        tenantId: record.tenantId,
        status: t.status,
        since: t.statusSince,
        configVersion: record.configVersion,
        frameworks: evaluation.frameworks,
        findings: packFindings(t.findings),
        opened: t.opened.map((f) => ({
          framework: f.framework,
          requirement: f.requirement,
          outcome: f.outcome,
          severity: findRule(f.framework, f.requirement)?.severity ?? "error",
          detail: f.detail,
        })),
        resolved: t.resolved,
      });
      context.set(record.id, {
        evaluation,
        status: t.status,
        retentionDays: subject.interfaces[0]?.policy.compliance.dataRetentionDays,
      });
    }
    if (stats) stats.evaluateMs += elapsed(started);
    started = process.hrtime.bigint();
    const result = await options.compliance.write(writes, removed, at, evaluated);
    if (stats) {
      stats.writeMs += elapsed(started);
      stats.vms += records.length;
      stats.removed += removed.length;
      stats.opened += result.opened.length;
      stats.resolved += result.resolved.length;
    }
    const events: EventInput[] = [];
    for (const v of result.opened) {
      const vm = context.get(v.vmId);
      const finding = vm?.evaluation.findings.find(
        (f) => f.framework === v.framework && f.requirement === v.requirement,
      );
      options.metrics?.violationOpened(v.framework, v.requirement, finding?.missing ?? []);
      events.push(
        violationEvent(v, {
          status: vm?.status ?? "NON_COMPLIANT",
          retentionDays: vm?.retentionDays,
        }),
      );
    }
    for (const v of result.resolved) {
      const vm = context.get(v.vmId);
      options.metrics?.violationResolved(v.framework, v.requirement);
      events.push(
        restoredEvent(v, { status: vm?.status ?? "REMOVED", retentionDays: vm?.retentionDays }),
      );
    }
    if (events.length > 0) await options.events.store(events);
    for (const tenant of result.tenants)
      if (tenant.since.getTime() === at.getTime())
        options.logger.info(
          { tenantId: tenant.tenantId, status: tenant.status },
          "tenant compliance status changed",
        );
  }

  async function reevaluateAllNow(reason: string): Promise<ReevaluationStats> {
    const stats: ReevaluationStats = {
      vms: 0,
      removed: 0,
      opened: 0,
      resolved: 0,
      readMs: 0,
      evaluateMs: 0,
      writeMs: 0,
    };
    const seen = new Set<string>();
    let afterId: string | undefined;
    for (;;) {
      const started = process.hrtime.bigint();
      const page = await options.vms.list({ afterId, limit: batchSize });
      stats.readMs += elapsed(started);
      if (page.length === 0) break;
      afterId = page[page.length - 1]?.id;
      for (const r of page) seen.add(r.id);
      await evaluateBatch(
        page.filter(live),
        page.filter((r) => !live(r)).map((r) => r.id),
        stats,
      );
    }
    // Statuses of VMs no longer in the database (a create that failed and was discarded).
    const stale = (await options.compliance.vmIds()).filter((id) => !seen.has(id));
    if (stale.length > 0) await evaluateBatch([], stale, stats);
    options.logger.info({ reason, ...stats }, "compliance re-evaluated for every VM");
    return stats;
  }

  return {
    onStoredEvents(events) {
      let added = false;
      for (const e of events) {
        if (e.vmId !== null && VM_CHANGE_EVENTS.has(e.eventType)) {
          pending.add(e.vmId);
          added = true;
        }
      }
      if (added) scheduleDrain();
    },
    evaluate(vmId) {
      pending.add(vmId);
      scheduleDrain();
      return chain.then(() => undefined);
    },
    reevaluateAll: (reason) => enqueue(() => reevaluateAllNow(reason)),
    setHost(next) {
      host = next;
    },
    get host() {
      return host;
    },
    settled: () => chain.then(() => undefined),
  };
}
