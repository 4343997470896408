// The SIEM push as configured now: starts the forwarder for the current settings and, when they
// change (SIGHUP reloads the host configuration), stops it and starts one for the new settings.
// Positions live in the database per destination name, so a route that keeps its name resumes
// where it was, and a new name starts at the end of the log.
import { readFile } from "node:fs/promises";
import {
  type EnrichmentFlags,
  isEnriching,
  type RetryPolicy,
  type SiemContext,
  type SiemRoute,
} from "@metald/core";
import type {
  SecurityEventRepository,
  SiemDeliveryRepository,
  StoredSecurityEvent,
} from "@metald/db";
import type { FastifyBaseLogger } from "fastify";
import type { VmFacts } from "./siem-batch.js";
import {
  type SiemForwarder,
  type SiemForwarderMetrics,
  startSiemForwarder,
} from "./siem-forwarder.js";
import type { SyslogTlsFiles } from "./syslog-sender.js";

export interface SiemSettings {
  /** http(s)://, udp://, tcp:// or tls://: where routes without their own endpoint go. */
  endpoint: string;
  /** Read before every HTTP request, so a rotated token takes effect. */
  tokenFile?: string;
  /** The token itself (from the host configuration's ${ENV} reference). */
  token?: string;
  routes: SiemRoute[];
  flushIntervalMs: number;
  retry: RetryPolicy;
  maxBufferSize: number;
  syslogTls?: SyslogTlsFiles;
  enrichment?: EnrichmentFlags;
}

/** The settings in force, replaced as a whole when the configuration is reloaded. */
export interface SiemSettingsSource {
  current(): SiemSettings | undefined;
  replace(next: SiemSettings | undefined): void;
  onChange(listener: (next: SiemSettings | undefined) => void): void;
}

export function createSiemSettingsSource(initial: SiemSettings | undefined): SiemSettingsSource {
  let current = initial;
  const listeners: ((next: SiemSettings | undefined) => void)[] = [];
  return {
    current: () => current,
    replace(next) {
      current = next;
      for (const listener of listeners) listener(next);
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}

export interface SiemForwardingOptions {
  source: SiemSettingsSource;
  events: SecurityEventRepository;
  deliveries: SiemDeliveryRepository;
  context: SiemContext;
  metrics: SiemForwarderMetrics;
  logger: FastifyBaseLogger;
  /** The facts enrichment adds, for the flags the settings give. */
  vmFacts?: (batch: StoredSecurityEvent[], flags: EnrichmentFlags) => Promise<VmFacts>;
}

export interface SiemForwarding {
  wake(): void;
  stop(): Promise<void>;
}

export function startSiemForwarding(options: SiemForwardingOptions): SiemForwarding {
  const { logger } = options;
  let forwarder: SiemForwarder | undefined;
  let stopped = false;
  // Restarts run one after another, so two quick reloads never leave two forwarders running.
  let switching = Promise.resolve();

  function start(settings: SiemSettings | undefined): SiemForwarder | undefined {
    if (!settings || settings.routes.length === 0) return undefined;
    const { tokenFile, enrichment } = settings;
    const { vmFacts } = options;
    return startSiemForwarder({
      name: "siem",
      endpoint: settings.endpoint,
      syslogTls: settings.syslogTls,
      token: async () =>
        tokenFile === undefined ? settings.token : (await readFile(tokenFile, "utf8")).trim(),
      routes: settings.routes,
      events: options.events,
      deliveries: options.deliveries,
      retry: settings.retry,
      flushIntervalMs: settings.flushIntervalMs,
      maxBufferSize: settings.maxBufferSize,
      context: options.context,
      ...(enrichment &&
        vmFacts &&
        isEnriching(enrichment) && {
          enrich: (batch: StoredSecurityEvent[]) => vmFacts(batch, enrichment),
        }),
      metrics: options.metrics,
      logger,
    });
  }

  forwarder = start(options.source.current());
  options.source.onChange((next) => {
    switching = switching.then(async () => {
      if (stopped) return;
      await forwarder?.stop();
      forwarder = start(next);
      logger.info(
        {
          routes: next?.routes.map((r) => ({
            destination: r.destination,
            endpoint: r.endpoint ?? next.endpoint,
            formats: r.formats,
          })),
        },
        next ? "SIEM routing reloaded" : "SIEM push turned off by the reloaded configuration",
      );
    });
  });

  return {
    wake: () => forwarder?.wake(),
    async stop() {
      stopped = true;
      await switching;
      await forwarder?.stop();
    },
  };
}
