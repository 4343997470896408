// Where every security event goes: buffered briefly, stored in batches (one transaction per
// batch, so ingest keeps up with floods), then handed to listeners: the live stream, metrics
// and the SIEM forwarder. Kernel counters stay exact when this buffer overflows; events for
// the overflow are dropped and counted. A VM change's control-plane event is the exception: it
// is prepared here, stored by the change's own transaction, then announced to the listeners.
import { type EventSeverity, eventCategory } from "@metald/core";
import type { NewSecurityEvent, SecurityEventRepository, StoredSecurityEvent } from "@metald/db";
import type { FastifyBaseLogger } from "fastify";

export interface EventInput {
  vmId: string | null;
  customerId: string | null;
  eventType: string;
  severity: EventSeverity;
  sourceIp?: string | null;
  description: string;
  details?: Record<string, unknown>;
  count?: number;
  timestamp?: Date;
  /** The VM's data_retention_days; the host default otherwise. */
  retentionDays?: number;
}

export type StoredEventListener = (events: StoredSecurityEvent[]) => void;

export interface EventPipelineOptions {
  repository: SecurityEventRepository;
  eventId: () => string;
  now: () => Date;
  defaultRetentionDays: number;
  logger: FastifyBaseLogger;
  /** Events per insert transaction. */
  batchSize?: number;
  /** How long an event may wait for others to share its transaction. */
  flushDelayMs?: number;
  /** Events waiting to be stored at most; beyond it the oldest are dropped and counted. */
  maxPending?: number;
}

export interface EventPipeline {
  emit(events: EventInput[]): void;
  /** Emits and resolves once the events are committed (for control-plane events). */
  store(events: EventInput[]): Promise<void>;
  /** Resolves once everything emitted so far is stored. */
  flush(): Promise<void>;
  onStored(listener: StoredEventListener): () => void;
  /** The row for an event that another transaction stores (a VM change with its event). */
  prepare(input: EventInput): NewSecurityEvent;
  /**
   * Hands events stored by another transaction to the listeners, as if stored here. They may
   * reach listeners between two batches, out of seq order; no listener depends on that order
   * (the pull feed and the SIEM outboxes read the log itself, in seq order).
   */
  announce(stored: StoredSecurityEvent[]): void;
  readonly dropped: number;
  close(): Promise<void>;
}

export function createEventPipeline(options: EventPipelineOptions): EventPipeline {
  const batchSize = options.batchSize ?? 1_000;
  const flushDelayMs = options.flushDelayMs ?? 20;
  const maxPending = options.maxPending ?? 100_000;
  const listeners = new Set<StoredEventListener>();
  let pending: NewSecurityEvent[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  async function writeAll(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.splice(0, batchSize);
      try {
        const stored = await options.repository.insert(batch);
        for (const listener of listeners) listener(stored);
      } catch (error) {
        // Put the batch back and stop: the next emit or flush tries again.
        pending.unshift(...batch);
        throw error;
      }
    }
  }

  function schedule(delay: number): void {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      writing = writing.then(writeAll).catch((error: unknown) => {
        options.logger.error({ err: error }, "storing security events failed; will retry");
        schedule(1_000);
      });
    }, delay);
  }

  async function flush(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    writing = writing.catch(() => undefined).then(writeAll);
    await writing;
  }

  function prepare(input: EventInput): NewSecurityEvent {
    const event = {
      id: options.eventId(),
      timestamp: input.timestamp ?? options.now(),
      vmId: input.vmId,
      customerId: input.customerId,
      eventType: input.eventType,
      severity: input.severity,
      sourceIp: input.sourceIp ?? null,
      description: input.description,
      details: input.details ?? {},
      count: input.count ?? 1,
      retentionDays: input.retentionDays ?? options.defaultRetentionDays,
    };
    return { ...event, category: eventCategory(event) };
  }

  function emit(inputs: EventInput[]): void {
    for (const input of inputs) pending.push(prepare(input));
    if (pending.length > maxPending) {
      const excess = pending.length - maxPending;
      pending = pending.slice(excess);
      dropped += excess;
    }
    schedule(pending.length >= batchSize ? 0 : flushDelayMs);
  }

  return {
    emit,
    flush,

    async store(inputs) {
      emit(inputs);
      await flush();
    },

    onStored(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    prepare,

    announce(stored) {
      if (stored.length === 0) return;
      for (const listener of listeners) listener(stored);
    },

    get dropped() {
      return dropped;
    },

    async close() {
      await flush();
      listeners.clear();
    },
  };
}
