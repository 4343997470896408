// Pushes stored events to a SIEM over HTTP or syslog (udp://, tcp://, tls://), one loop per
// route (see siemRoutesFromConfig); a route goes to its own endpoint or the SIEM's. The
// events table is the outbox: each route reads its category past its stored position, sends,
// and only then moves the position, so delivery is at least once and survives restarts. A
// batch is retried with backoff; when retries run out it stays in the outbox for the next
// round. A backlog beyond maxBufferSize loses its oldest events (drop_oldest), counted.
import {
  formatSyslogRecord,
  isSyslogUrl,
  parseSyslogEndpoint,
  type RetryPolicy,
  retryDelays,
  type SiemContext,
  type SiemFormat,
  type SiemRoute,
  sampledIn,
} from "@metald/core";
import type {
  SecurityEventRepository,
  SiemDeliveryRepository,
  StoredSecurityEvent,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import {
  asSecurityEvent,
  CONTENT_TYPES,
  renderBatch,
  renderEvent,
  type VmFacts,
} from "./siem-batch.js";
import { createSyslogSender, type SyslogSender, type SyslogTlsFiles } from "./syslog-sender.js";

export interface SiemForwarderMetrics {
  sent(route: SiemRoute, format: SiemFormat, events: number): void;
  failed(route: SiemRoute, format: SiemFormat): void;
  dropped(route: SiemRoute, events: number): void;
  sampledOut(route: SiemRoute, events: number): void;
  backlog(route: SiemRoute, events: number): void;
}

export interface SiemForwarderOptions {
  /** Names this SIEM's positions in the database. */
  name: string;
  /** Where routes without an endpoint of their own go. */
  endpoint: string;
  /** Certificates for tls:// endpoints. */
  syslogTls?: SyslogTlsFiles;
  /** Read before every request, so a rotated token file takes effect. */
  token: () => Promise<string | undefined>;
  routes: SiemRoute[];
  events: SecurityEventRepository;
  deliveries: SiemDeliveryRepository;
  retry: RetryPolicy;
  flushIntervalMs: number;
  maxBufferSize: number;
  requestTimeoutMs?: number;
  context: SiemContext;
  /** Facts about the batch's VMs added to its records (host configuration enrichment). */
  enrich?: (batch: StoredSecurityEvent[]) => Promise<VmFacts>;
  metrics: SiemForwarderMetrics;
  logger: FastifyBaseLogger;
}

export interface SiemForwarder {
  /** New events were stored: real-time routes look at once. */
  wake(): void;
  stop(): Promise<void>;
}

export function startSiemForwarder(options: SiemForwarderOptions): SiemForwarder {
  const { events, deliveries, logger } = options;
  const abort = new AbortController();
  const wakers = new Set<() => void>();
  const delays = retryDelays(options.retry);

  /** Waits `ms`, or less if stopped (or woken, when `wakeable`). */
  const pause = (ms: number, wakeable = false) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        abort.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (wakeable) wakers.add(done);
      abort.signal.addEventListener("abort", done);
    });

  const syslogSenders = new Map<string, SyslogSender>();
  function syslogSender(url: string): SyslogSender {
    let sender = syslogSenders.get(url);
    if (!sender) {
      const endpoint = parseSyslogEndpoint(url);
      // The host configuration and the environment were checked; this is a programming error.
      if ("problem" in endpoint) throw new Error(`SIEM endpoint ${url} ${endpoint.problem}`);
      sender = createSyslogSender({
        endpoint,
        tls: options.syslogTls,
        timeoutMs: options.requestTimeoutMs,
      });
      syslogSenders.set(url, sender);
    }
    return sender;
  }

  async function post(
    route: SiemRoute,
    format: SiemFormat,
    batch: StoredSecurityEvent[],
    facts: VmFacts | undefined,
  ) {
    const endpoint = route.endpoint ?? options.endpoint;
    if (isSyslogUrl(endpoint)) {
      const procId = String(process.pid);
      const messages = batch.map((e) =>
        formatSyslogRecord(asSecurityEvent(e), renderEvent(e, format, options.context, facts), {
          format,
          destination: route.destination,
          context: options.context,
          procId,
        }),
      );
      await syslogSender(endpoint).send(messages, abort.signal);
      return;
    }
    const token = await options.token();
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": CONTENT_TYPES[format],
        "x-metald-destination": route.destination,
        "x-metald-format": format,
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: renderBatch(batch, format, options.context, facts),
      signal: AbortSignal.any([
        abort.signal,
        AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      ]),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`SIEM answered ${response.status} ${response.statusText}`);
  }

  /** Sends every format of one batch, retrying the formats that failed; true when all went. */
  async function deliver(route: SiemRoute, batch: StoredSecurityEvent[]): Promise<boolean> {
    const remaining = new Set(route.formats);
    // Read once per attempt of the batch: a VM changed meanwhile is shown as it is now.
    const facts = options.enrich && (await options.enrich(batch));
    for (let attempt = 0; !abort.signal.aborted; attempt++) {
      for (const format of [...remaining]) {
        try {
          await post(route, format, batch, facts);
          remaining.delete(format);
          options.metrics.sent(route, format, batch.length);
        } catch (error) {
          options.metrics.failed(route, format);
          logger.warn(
            { err: error, destination: route.destination, format, attempt },
            "SIEM delivery failed",
          );
        }
      }
      if (remaining.size === 0) return true;
      const delay = delays[attempt];
      if (delay === undefined) return false;
      await pause(delay);
    }
    return false;
  }

  /** drop_oldest: keep the newest maxBufferSize events of an overflowing backlog. */
  async function trimBacklog(route: SiemRoute, key: string, position: number): Promise<number> {
    const backlog = await events.countCategory(route.category, position);
    options.metrics.backlog(route, backlog);
    const excess = backlog - options.maxBufferSize;
    if (excess <= 0) return position;
    const through = await events.categorySeqAt(route.category, position, excess);
    if (through === undefined) return position;
    await deliveries.advance(key, through, excess);
    options.metrics.dropped(route, excess);
    logger.error(
      { destination: route.destination, dropped: excess },
      "SIEM backlog over max_buffer_size: oldest events dropped",
    );
    return through;
  }

  async function runRoute(route: SiemRoute): Promise<void> {
    const key = `${options.name}/${route.destination}`;
    let position = (await deliveries.open(key, await events.lastSeq())).deliveredSeq;
    while (!abort.signal.aborted) {
      const batch = await events.listCategory(route.category, position, route.batchSize);
      const oldest = batch[0];
      if (!oldest) {
        await pause(route.realTime ? 1_000 : options.flushIntervalMs, route.realTime);
        continue;
      }
      // Batched routes wait for a full batch or for the oldest event to be flush_interval old.
      const waited = Date.now() - oldest.timestamp.getTime();
      if (!route.realTime && batch.length < route.batchSize && waited < options.flushIntervalMs) {
        await pause(options.flushIntervalMs - waited);
        continue;
      }
      const send = batch.filter((e) => sampledIn(e.id, route.samplingRate));
      if (send.length > 0 && !(await deliver(route, send))) {
        if (abort.signal.aborted) return;
        position = await trimBacklog(route, key, position);
        await pause(options.retry.maxRetryDelayMs);
        continue;
      }
      options.metrics.sampledOut(route, batch.length - send.length);
      position = (batch[batch.length - 1] as StoredSecurityEvent).seq;
      await deliveries.advance(key, position, 0);
      if (batch.length < route.batchSize) options.metrics.backlog(route, 0);
    }
  }

  const loops = options.routes.map((route) =>
    (async () => {
      while (!abort.signal.aborted) {
        try {
          await runRoute(route);
        } catch (error) {
          if (abort.signal.aborted) return;
          logger.error({ err: error, destination: route.destination }, "SIEM route failed");
          await pause(1_000);
        }
      }
    })(),
  );

  return {
    wake() {
      for (const wake of wakers) wake();
    },
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}
