// Keeps every VM's compliance status current. It listens to the event pipeline's stored events:
// each VM change (create, update, quarantine, delete, and their reverts) stores a control-plane
// event, and the VMs it names are read again from the database (one query per batch) and
// evaluated. At start every VM and its stored status is read once; from then on the monitor
// keeps both in memory (it is the only writer of the compliance tables), so a configuration
// reload or a new host probe evaluates only the VMs whose inputs changed (those of a tenant
// whose layer changed; every VM when the host evidence changed) without reading any. Evaluations
// run one batch at a time (one writer); each batch is one write transaction that also stores the
// events of the violations it opened and resolved; metrics and listeners hear of them once
// committed.
import type { HostEvidence, PolicyLayer, PreviousCompliance } from "@metald/core";
import { UNPROBED_HOST, unpackFindings } from "@metald/core";
import type {
  ComplianceInputRow,
  ComplianceRepository,
  NewSecurityEvent,
  StoredSecurityEvent,
  VmComplianceRecord,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import type { EventInput } from "../events/event-pipeline.js";
import type { ComplianceMetrics } from "../metrics/compliance-metrics.js";
import { type EvaluationMemo, planComplianceBatch } from "./compliance-batch.js";
import {
  type CachedVm,
  type ComplianceCache,
  createComplianceCache,
  type StoredCompliance,
} from "./compliance-cache.js";
import { createComplianceEvents } from "./compliance-events.js";
import { complianceInput } from "./compliance-subject.js";
import { createPolicyInterner } from "./policy-interner.js";

/** Events that mean a VM's configuration, quarantine or existence changed. */
const VM_CHANGE_EVENTS = new Set(["config_change", "vm_quarantined", "vm_released"]);

export interface ComplianceMonitorOptions {
  compliance: ComplianceRepository;
  /**
   * The event pipeline: violation events are prepared as rows that the status write's own
   * transaction stores, then announced to the listeners (live stream, SIEM, metrics).
   */
  events: {
    prepare(input: EventInput): NewSecurityEvent;
    announce(stored: StoredSecurityEvent[]): void;
  };
  tenantLayer?: (tenantId: string) => PolicyLayer | undefined;
  now: () => Date;
  logger: FastifyBaseLogger;
  metrics?: ComplianceMetrics;
  /** VMs per read and write transaction (default 1,000). */
  batchSize?: number;
}

export interface ReevaluationStats {
  /** VMs evaluated. */
  vms: number;
  /** Live VMs not evaluated: nothing they are evaluated on changed since their last evaluation. */
  skipped: number;
  removed: number;
  opened: number;
  resolved: number;
  /** Milliseconds reading VMs and stored statuses (none after start: they are in memory). */
  readMs: number;
  /** Evaluating the rules (pure). */
  evaluateMs: number;
  /** Diffing each evaluation with the stored status. */
  diffMs: number;
  /** The write transactions, commits included; of which each kind of row: */
  writeMs: number;
  statusesMs: number;
  violationsMs: number;
  tenantsMs: number;
  /** Building the violations' events and inserting them (in the write transaction). */
  eventsMs: number;
  /** After the commit: metric increments and the event listeners. */
  announceMs: number;
}

export interface ComplianceMonitor {
  /** The event pipeline's listener: schedules the VMs that changed. */
  onStoredEvents(events: readonly StoredSecurityEvent[]): void;
  /** Evaluates one VM now (after what is scheduled). */
  evaluate(vmId: string): Promise<void>;
  /** Reads every VM and its stored status from the database, and evaluates them all (start). */
  reevaluateAll(reason: string): Promise<ReevaluationStats>;
  /**
   * Evaluates the VMs whose tenant layer or host evidence changed since their last evaluation
   * (a configuration reload, a new host probe); everything, as reevaluateAll, when an earlier
   * read or write failed.
   */
  reevaluateChanged(reason: string): Promise<ReevaluationStats>;
  /** What the host can show; the caller re-evaluates after changing it. */
  setHost(host: HostEvidence): void;
  readonly host: HostEvidence;
  /** Resolves once every VM scheduled so far is evaluated. */
  settled(): Promise<void>;
}

const elapsed = (start: number) => performance.now() - start;

const emptyStats = (): ReevaluationStats => ({
  vms: 0,
  skipped: 0,
  removed: 0,
  opened: 0,
  resolved: 0,
  readMs: 0,
  evaluateMs: 0,
  diffMs: 0,
  writeMs: 0,
  statusesMs: 0,
  violationsMs: 0,
  tenantsMs: 0,
  eventsMs: 0,
  announceMs: 0,
});

const live = (r: ComplianceInputRow) => r.state !== "TERMINATED" && r.state !== "FAILED";

/** A VM's compliance as the database holds it (see ComplianceRepository.load). */
function storedCompliance(
  loaded: { record?: VmComplianceRecord; open: string[] } | undefined,
  at: Date,
): StoredCompliance {
  const previous: PreviousCompliance | undefined =
    loaded?.record || (loaded && loaded.open.length > 0)
      ? {
          status: loaded.record?.status ?? "COMPLIANT",
          since: loaded.record?.since ?? at,
          findings: unpackFindings(loaded.record?.findings),
          openViolations: loaded.open,
        }
      : undefined;
  return { previous, configVersion: loaded?.record?.configVersion };
}

export function createComplianceMonitor(options: ComplianceMonitorOptions): ComplianceMonitor {
  const batchSize = options.batchSize ?? 1_000;
  const policies = createPolicyInterner();
  const cache: ComplianceCache = createComplianceCache(policies);
  let host = UNPROBED_HOST;
  let hostKey = JSON.stringify(host);
  const pending = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let draining = false;

  /** Runs `task` after every task queued before it; a failure is logged, never rethrown here. */
  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = chain.then(task).catch((error: unknown) => {
      // What is in memory may no longer match the database: the next reload reads it again.
      cache.complete = false;
      throw error;
    });
    chain = run.catch((error: unknown) => {
      options.logger.error(
        { err: error },
        "compliance evaluation failed; will retry on the next change",
      );
    });
    return run;
  }

  /**
   * One run's context: the host evidence it evaluates against, the evaluations its VMs share,
   * and per tenant the layer and the basis: what a VM is evaluated on besides its own
   * configuration (host evidence and tenant layer). A VM whose basis is unchanged since its last
   * evaluation has nothing new to be evaluated on.
   */
  function newRun() {
    const run = { host, hostKey, memo: new Map() as EvaluationMemo };
    const byTenant = new Map<string, { layer: PolicyLayer | undefined; basis: string }>();
    return {
      ...run,
      basisOf(tenantId: string) {
        let entry = byTenant.get(tenantId);
        if (entry === undefined) {
          const layer = options.tenantLayer?.(tenantId);
          entry = { layer, basis: `${run.hostKey}\n${JSON.stringify(layer ?? null)}` };
          byTenant.set(tenantId, entry);
        }
        return entry;
      },
    };
  }
  type Run = ReturnType<typeof newRun>;

  /** Evaluates these VMs, writes what changed and removes `removed`, in one transaction. */
  async function runBatch(
    vms: readonly CachedVm[],
    removed: readonly string[],
    stats: ReevaluationStats,
    run: Run,
  ): Promise<void> {
    const at = options.now();
    const plan = planComplianceBatch(
      vms.map((c) => ({
        input: c.input,
        stored: c.stored,
        tenantLayer: run.basisOf(c.input.tenantId).layer,
      })),
      run.host,
      at,
      run.memo,
    );
    stats.evaluateMs += plan.evaluateMs;
    stats.diffMs += plan.diffMs;
    let started = performance.now();
    let result: Awaited<ReturnType<ComplianceRepository["write"]>>;
    try {
      result = await options.compliance.write(plan.writes, removed, at, {
        evaluated: plan.evaluated,
        events: ({ opened, resolved }) => {
          const events = createComplianceEvents();
          const prepared: NewSecurityEvent[] = [];
          for (const v of opened) {
            const vm = plan.vms.get(v.vmId);
            prepared.push(
              options.events.prepare(
                events.violation(v, {
                  status: vm?.status ?? "NON_COMPLIANT",
                  retentionDays: vm?.retentionDays,
                }),
              ),
            );
          }
          for (const v of resolved) {
            const vm = plan.vms.get(v.vmId);
            prepared.push(
              options.events.prepare(
                events.restored(v, {
                  status: vm?.status ?? "REMOVED",
                  retentionDays: vm?.retentionDays,
                }),
              ),
            );
          }
          return prepared;
        },
      });
    } catch (error) {
      for (const c of vms) c.basis = undefined;
      throw error;
    }
    stats.writeMs += elapsed(started);
    stats.statusesMs += result.timings.statusesMs;
    stats.violationsMs += result.timings.violationsMs;
    stats.tenantsMs += result.timings.tenantsMs;
    stats.eventsMs += result.timings.eventsMs;
    stats.vms += vms.length;
    stats.removed += removed.length;
    stats.opened += result.opened.length;
    stats.resolved += result.resolved.length;
    // Committed: what is in memory follows.
    for (const c of vms) {
      const evaluated = plan.vms.get(c.input.vmId);
      if (evaluated) c.stored = evaluated.next;
      c.basis = run.basisOf(c.input.tenantId).basis;
    }
    for (const id of removed) cache.remove(id);
    started = performance.now();
    if (options.metrics) {
      for (const v of result.opened) {
        const finding = plan.vms
          .get(v.vmId)
          ?.evaluation.findings.find(
            (f) => f.framework === v.framework && f.requirement === v.requirement,
          );
        options.metrics.violationOpened(v.framework, v.requirement, finding?.missing ?? []);
      }
      for (const v of result.resolved)
        options.metrics.violationResolved(v.framework, v.requirement);
    }
    options.events.announce(result.events);
    stats.announceMs += elapsed(started);
    for (const tenant of result.tenants)
      if (tenant.since.getTime() === at.getTime())
        options.logger.info(
          { tenantId: tenant.tenantId, status: tenant.status },
          "tenant compliance status changed",
        );
  }

  /** Reads these rows' VMs into memory (their stored status too when not held yet). */
  async function hold(rows: readonly ComplianceInputRow[], stats: ReevaluationStats) {
    const started = performance.now();
    const unknown = rows.filter((r) => cache.get(r.vmId) === undefined).map((r) => r.vmId);
    const loaded = unknown.length > 0 ? await options.compliance.load(unknown) : undefined;
    const at = options.now();
    const held = rows.map((r) =>
      cache.setInput(
        complianceInput(r, policies),
        loaded?.has(r.vmId) ? storedCompliance(loaded.get(r.vmId), at) : undefined,
      ),
    );
    stats.readMs += elapsed(started);
    return held;
  }

  function scheduleDrain(): void {
    if (draining) return;
    draining = true;
    void enqueue(async () => {
      draining = false;
      const run = newRun();
      while (pending.size > 0) {
        const ids = [...pending].slice(0, batchSize);
        for (const id of ids) pending.delete(id);
        const stats = emptyStats();
        const started = performance.now();
        const rows = (await options.compliance.inputs({ vmIds: ids })).filter(live);
        stats.readMs += elapsed(started);
        const found = new Set(rows.map((r) => r.vmId));
        await runBatch(
          await hold(rows, stats),
          ids.filter((id) => !found.has(id)),
          stats,
          run,
        );
      }
    });
  }

  async function reevaluateAllNow(reason: string): Promise<ReevaluationStats> {
    const stats = emptyStats();
    const run = newRun();
    cache.complete = false;
    cache.clear();
    const seen = new Set<string>();
    let afterId: string | undefined;
    for (;;) {
      const started = performance.now();
      const page = await options.compliance.inputs({ afterId, limit: batchSize });
      stats.readMs += elapsed(started);
      if (page.length === 0) break;
      afterId = page[page.length - 1]?.vmId;
      for (const r of page) seen.add(r.vmId);
      await runBatch(
        await hold(page.filter(live), stats),
        page.filter((r) => !live(r)).map((r) => r.vmId),
        stats,
        run,
      );
    }
    // Statuses of VMs no longer in the database (a create that failed and was discarded).
    const stale = (await options.compliance.vmIds()).filter((id) => !seen.has(id));
    if (stale.length > 0) await runBatch([], stale, stats, run);
    cache.complete = true;
    options.logger.info(
      { reason, ...stats, policies: policies.size },
      "compliance re-evaluated for every VM",
    );
    return stats;
  }

  async function reevaluateChangedNow(reason: string): Promise<ReevaluationStats> {
    if (!cache.complete) return reevaluateAllNow(reason);
    const stats = emptyStats();
    const run = newRun();
    const due: CachedVm[] = [];
    for (const c of cache.values()) {
      // A VM with a change scheduled is evaluated by the drain that follows, on fresh inputs.
      if (pending.has(c.input.vmId)) continue;
      if (c.basis !== run.basisOf(c.input.tenantId).basis) due.push(c);
    }
    stats.skipped = cache.size - due.length;
    for (let i = 0; i < due.length; i += batchSize)
      await runBatch(due.slice(i, i + batchSize), [], stats, run);
    options.logger.info(
      { reason, ...stats, policies: policies.size },
      "compliance re-evaluated for the VMs whose tenant layer or host evidence changed",
    );
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
    reevaluateChanged: (reason) => enqueue(() => reevaluateChangedNow(reason)),
    setHost(next) {
      host = next;
      hostKey = JSON.stringify(next);
    },
    get host() {
      return host;
    },
    settled: () => chain.then(() => undefined),
  };
}
