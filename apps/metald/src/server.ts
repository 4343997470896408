// Builds the HTTP server: Connect services, /health, request compatibility rules.

import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createContextValues } from "@connectrpc/connect";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import {
  type BridgeRegistry,
  createHostPathPolicy,
  createSampleAggregator,
  DEFAULT_VM_FILE_DIRECTORIES,
  formatPoolPrefix,
  type HostCapabilities,
  type HostDriver,
  type HostPathPolicy,
  type PortCounters,
  parsePoolPrefix,
  type SecurityProfileName,
  type SetElements,
  type VmRuntime,
} from "@metald/core";
import {
  createBlockedSourceRepository,
  createConfigHistoryRepository,
  createHostRepository,
  createPoolRepository,
  createSecurityEventRepository,
  createSiemDeliveryRepository,
  createTenantRepository,
  createTokenRepository,
  createVmMoveLog,
  createVmRepository,
  type SqlClient,
} from "@metald/db";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import type { Registry } from "prom-client";
import { type AuditSettings, startAuditTrail } from "./audit/audit-trail.js";
import { registerRequestAudit } from "./audit/request-origin.js";
import { registerAuth } from "./auth/auth-hook.js";
import type { AuthMode } from "./auth/principal.js";
import { PRINCIPAL } from "./auth/principal-context.js";
import { scopeProvisioner } from "./auth/scoped-provisioner.js";
import { startCompliance } from "./compliance/start-compliance.js";
import type { TenantConfig, TenantConfigStore } from "./config/tenant-config-store.js";
import { createErrorLog } from "./connect/error-log.js";
import { createJsonBodyCheck, inputSchemasByPath } from "./connect/json-body-check.js";
import { allowedMethodsByPath, createMethodCheck } from "./connect/method-check.js";
import { textFieldCheck } from "./connect/text-field-check.js";
import { createRoutes, SERVICES } from "./connect.js";
import { startCounterEventPoller } from "./events/counter-event-poller.js";
import { createEventPipeline } from "./events/event-pipeline.js";
import {
  type PacketSampling,
  type SampleSource,
  startPacketSampling,
} from "./events/packet-sampling.js";
import { startRetentionJob } from "./events/retention-job.js";
import { type SiemSettingsSource, startSiemForwarding } from "./events/siem-forwarding.js";
import { createVmFactsReader } from "./events/siem-vm-facts.js";
import { createBlockedSourceSync } from "./fleet/blocked-source-sync.js";
import { type HostHeartbeat, startHostHeartbeat } from "./fleet/host-heartbeat.js";
import { registerAuditRoutes } from "./http/audit-routes.js";
import { registerBlockedSourceRoutes } from "./http/blocked-source-routes.js";
import { createCleartextHttpServer } from "./http/cleartext-http-server.js";
import { registerConfigHistoryRoutes } from "./http/config-history-routes.js";
import { registerConsole } from "./http/console-files.js";
import { registerCustomerRoutes } from "./http/customer-routes.js";
import { registerDebugRoutes } from "./http/debug-routes.js";
import { registerErrorShape } from "./http/error-shape.js";
import { registerMonitoringRoutes } from "./http/monitoring-routes.js";
import { registerPoolRoutes } from "./http/pool-routes.js";
import { registerRestTextCheck } from "./http/rest-text-check.js";
import { registerSecurityEventRoutes } from "./http/security-event-routes.js";
import { registerSecurityFeedRoutes } from "./http/security-feed-routes.js";
import { applySeedCompatibility } from "./http/seed-compat.js";
import { registerVmRoutes } from "./http/vm-routes.js";
import { registerVmSecurityRoutes } from "./http/vm-security-routes.js";
import { createAddressAllocator, DEFAULT_POOL } from "./ipam/address-allocator.js";
import { registerEnforcementMetrics } from "./metrics/enforcement-metrics.js";
import { registerEventMetrics } from "./metrics/event-metrics.js";
import { registerNotEnforcedMetrics } from "./metrics/not-enforced-metrics.js";
import { registerPoolMetrics } from "./metrics/pool-metrics.js";
import { registerRateMetrics } from "./metrics/rate-metrics.js";
import { createSortableIdFactory } from "./sortable-id.js";
import type { TlsCredentials } from "./tls/tls-credentials.js";
import { createTlsHttpServer } from "./tls/tls-http-server.js";
import { createBridgeAccess } from "./vm/bridge-access.js";
import { createConfigHistory } from "./vm/config-history.js";
import { createHostChangeLock } from "./vm/host-change-lock.js";
import { loadLiveVmIndex } from "./vm/live-vm-index.js";
import { createNotEnforcedReport } from "./vm/not-enforced-report.js";
import { createVmMigration } from "./vm/vm-migration.js";
import { createVmProvisioner } from "./vm/vm-provisioner.js";

export type { SiemSettings } from "./events/siem-forwarding.js";

export interface EventSettings {
  retentionDays: number;
  feedMaxConcurrent: number;
  /** The SIEM push settings, replaced when SIGHUP reloads the host configuration. */
  siem?: SiemSettingsSource;
}

export interface ServerOptions {
  /** The audit trail's keys, file, retention (docs/compliance.md). */
  audit?: AuditSettings;
  /** HTTPS (HTTP/2 and HTTP/1.1 by ALPN); without it, h2c and HTTP/1.1 in cleartext. */
  tls?: TlsCredentials;
  /** Bearer tokens (required, the default) or the guides' development convention. */
  authMode?: AuthMode;
  events?: EventSettings;
  /** Tenants of the host configuration file (their layer sits between profile and request). */
  tenantConfig?: TenantConfigStore;
  /** Prefix of the pool "default", created at start when it does not exist. */
  defaultPoolPrefix?: string;
  /** The kernel's packet samples (NFLOG), when the driver programs a kernel. */
  samples?: SampleSource;
  /** How often the kernel's counters are turned into security events (ms). */
  eventPollMs?: number;
  /** Where the enforcement metrics register (served on the metrics port by main). */
  metrics?: Registry;
  db: SqlClient;
  driver: HostDriver;
  runtime: VmRuntime;
  /** Which host files a VM may be given; default: the default directories, lexically. */
  hostPaths?: HostPathPolicy;
  /** The bridges metald created on this host (the driver's registry). */
  bridgeRegistry?: BridgeRegistry;
  /** Whether a link exists where the driver puts bridges; none does with the dry-run driver. */
  linkExists?: (name: string) => Promise<boolean>;
  readCounters?: () => Promise<PortCounters>;
  /** The last reading of readCounters, without reading the kernel (what a scrape serves). */
  lastCounters?: () => PortCounters;
  /**
   * As readCounters and lastCounters, but only the keys that counted anything: what the
   * counter poller and the scrape walk, so that their cost follows the VMs that dropped
   * something rather than every VM. Without them, the full readings serve.
   */
  readActiveCounters?: () => Promise<PortCounters>;
  lastActiveCounters?: () => PortCounters;
  /** A fresh reading with one VM's accept-side counters too (the debug route). */
  readVmCounters?: (elements: SetElements) => Promise<PortCounters>;
  hostId: string;
  /** Names guest namespaces after this scope too (a sandbox other than the default one). */
  guestScope?: string;
  /** How often this host's row in the fleet's registry is refreshed (ms; default 5000). */
  heartbeatMs?: number;
  defaultProfile: SecurityProfileName;
  logLevel: string;
  version: string;
}

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel },
    // HTTP/2 (gRPC clients) and HTTP/1.1 (curl, browsers) on one port. Fastify's types name the
    // HTTP/1 request; HTTP/2 requests come through Node's compatibility API, which has its shape
    // for everything metald reads (method, url, headers, body stream).
    serverFactory: (handler) => {
      const serve = (req: unknown, res: unknown) => {
        applySeedCompatibility(req as IncomingMessage);
        handler(req as IncomingMessage, res as ServerResponse);
      };
      return (
        options.tls ? createTlsHttpServer(serve, options.tls) : createCleartextHttpServer(serve)
      ) as Server;
    },
  });
  registerErrorShape(app);
  registerRestTextCheck(app);
  const ulid = createSortableIdFactory();
  // Every audited change appends through this trail's one writer (packages/db audit-writer.ts).
  const auditTrail = await startAuditTrail({
    db: options.db,
    settings: options.audit ?? {},
    newId: () => `audit-${ulid()}`,
    logger: app.log,
  });
  const reloadAudit = () => auditTrail.reload();
  process.on("SIGHUP", reloadAudit);
  app.addHook("onClose", async () => {
    process.off("SIGHUP", reloadAudit);
    auditTrail.stop();
  });
  // Before authentication, so that the principal it finds is in the request's audit origin.
  registerRequestAudit(app, {
    audit: auditTrail.repository,
    newId: () => `audit-${ulid()}`,
    logger: app.log,
  });
  const eventSettings = options.events ?? { retentionDays: 90, feedMaxConcurrent: 8 };
  const securityEvents = createSecurityEventRepository(options.db);
  const pipeline = createEventPipeline({
    repository: securityEvents,
    eventId: () => `evt-${ulid()}`,
    now: () => new Date(),
    defaultRetentionDays: eventSettings.retentionDays,
    logger: app.log,
  });
  const eventMetrics = options.metrics
    ? registerEventMetrics(options.metrics, () => pipeline.dropped)
    : undefined;
  if (eventMetrics) pipeline.onStored((stored) => eventMetrics.stored(stored));
  // At most a few authentication-failure events per second: a guessing client must not be able
  // to flood the event log (the metric counts every one).
  let failureBudget = { second: 0, left: 5 };
  registerAuth(app, {
    mode: options.authMode ?? "required",
    tokens: createTokenRepository(options.db),
    onFailure(f) {
      eventMetrics?.authFailure(f.reason);
      auditTrail.authFailure(f);
      const second = Math.floor(Date.now() / 1000);
      if (second !== failureBudget.second) failureBudget = { second, left: 5 };
      if (failureBudget.left-- <= 0) return;
      pipeline.emit([
        {
          vmId: null,
          customerId: null,
          eventType: "authentication_failure",
          severity: "warning",
          sourceIp: f.remote,
          description: `refused credentials for ${f.path}: ${f.reason}`,
          details: { path: f.path, reason: f.reason },
        },
      ]);
    },
  });
  const pools = createPoolRepository(options.db);
  if (options.defaultPoolPrefix && !(await pools.get(DEFAULT_POOL))) {
    await pools.create({
      id: DEFAULT_POOL,
      prefix: formatPoolPrefix(parsePoolPrefix(options.defaultPoolPrefix)),
      description: "host default pool",
      tenantId: null,
      rateLimit: 0,
    });
  }
  const allocator = createAddressAllocator(pools);
  const tenantRepository = createTenantRepository(options.db);
  const storeTenants = async (tenants: TenantConfig[]) => {
    for (const { tenant } of tenants) {
      const current = await tenantRepository.get(tenant.id);
      await tenantRepository.upsert({
        id: tenant.id,
        name: current?.name ?? tenant.id,
        tier: tenant.tier ?? current?.tier ?? "standard",
        vlanId: tenant.vlan ?? null,
        ipv6Prefix: tenant.prefix ?? null,
        bridgeName: tenant.bridge ?? null,
        networkNamespace: tenant.namespace ?? null,
        defaults: tenant.security as Record<string, unknown>,
      });
    }
  };
  if (options.tenantConfig) {
    await storeTenants(options.tenantConfig.tenants());
    options.tenantConfig.onChange((tenants) => {
      storeTenants(tenants).catch((error: unknown) =>
        app.log.error({ err: error }, "storing the reloaded tenants failed"),
      );
    });
  }
  registerPoolRoutes(app, { pools, allocator });
  if (options.metrics) registerPoolMetrics(options.metrics, pools);
  // Bridges the host configuration gives a tenant: its isolation.bridge_interface and host_bridges.
  const listedBridges = (tenantId: string): ReadonlySet<string> => {
    const t = options.tenantConfig?.tenants().find((c) => c.tenant.id === tenantId)?.tenant;
    return new Set([...(t?.bridge ? [t.bridge] : []), ...(t?.hostBridges ?? [])]);
  };
  // One lock for every host change: VM changes, blocked sources and the reconcile.
  const hostLock = createHostChangeLock();
  const provisioner = createVmProvisioner({
    hostLock,
    hostPaths:
      options.hostPaths ??
      createHostPathPolicy({
        directories: () => DEFAULT_VM_FILE_DIRECTORIES,
        runtimeOpensFiles: false,
      }),
    bridges: createBridgeAccess({
      owns: (bridge) => options.bridgeRegistry?.owns(bridge) ?? Promise.resolve(false),
      listedFor: listedBridges,
      linkExists: options.linkExists ?? (async () => false),
    }),
    addresses: allocator,
    events: pipeline,
    observeApply: eventMetrics?.observeApply,
    observeRequest: eventMetrics?.observeRequest,
    // Its changes are this host's: one of a VM that moved away meanwhile is refused.
    repository: createVmRepository(options.db, {
      audit: auditTrail.writer,
      hostId: options.hostId,
    }),
    guestScope: options.guestScope,
    driver: options.driver,
    runtime: options.runtime,
    clock: { now: () => new Date() },
    ids: {
      vmId: () => `vm-${ulid()}`,
      auditId: () => `audit-${ulid()}`,
    },
    hostId: options.hostId,
    defaultProfile: options.defaultProfile,
    tenantLayer: options.tenantConfig && ((id) => options.tenantConfig?.layer(id)),
    defaultTenant: "default",
    logger: app.log,
  });

  app.get("/health", async (_req, reply) => {
    try {
      await options.db.query("SELECT 1");
    } catch (error) {
      // The cause can name the database's host, port, user or schema: it is logged, and the
      // unauthenticated caller learns only that metald is not healthy.
      app.log.error({ err: error }, "health check: the database did not answer");
      return reply.code(503).send({ status: "unavailable" });
    }
    return {
      status: "ok",
      version: options.version,
      database: options.db.kind,
      driver: options.driver.name,
    };
  });

  // curl -d without a Content-Type sends form encoding, fetch with a string body text/plain:
  // either way the body is JSON text.
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser(
    ["application/x-www-form-urlencoded", "text/plain"],
    { parseAs: "string" },
    (_req, body, done) => {
      try {
        done(null, (body as string).trim() === "" ? {} : JSON.parse(body as string));
      } catch (error) {
        done(Object.assign(error as Error, { statusCode: 400 }), undefined);
      }
    },
  );
  registerDebugRoutes(app, {
    provisioner,
    readCounters: options.readCounters,
    readVmCounters: options.readVmCounters,
  });
  // Read once here, then kept current by each change's events: no timer reads every VM.
  const liveIndex = await loadLiveVmIndex(
    {
      provisioner,
      hostId: options.hostId,
      onError: (error, vmId) =>
        app.log.warn({ err: error, vmId }, "re-reading a changed VM failed"),
    },
    (listener) => pipeline.onStored(listener),
  );
  const liveVms = async () => liveIndex.list();
  const readCounters = options.readCounters ?? (async () => new Map());
  const lastForScrape = options.lastActiveCounters ?? options.lastCounters;
  if (options.metrics)
    registerEnforcementMetrics({
      registry: options.metrics,
      // A scrape reads no kernel state: the poller's (or the debug route's) last reading.
      readCounters: lastForScrape ? async () => lastForScrape() ?? new Map() : readCounters,
      liveVms,
    });
  const rateMetrics = options.metrics
    ? registerRateMetrics({ registry: options.metrics, liveVms })
    : undefined;
  const siemContext = { hostname: options.hostId, productVersion: options.version };
  registerSecurityEventRoutes(app, securityEvents);
  registerSecurityFeedRoutes(app, {
    events: securityEvents,
    context: siemContext,
    maxConcurrent: eventSettings.feedMaxConcurrent,
  });
  const samples = createSampleAggregator();
  let sampling: PacketSampling | undefined;
  registerMonitoringRoutes(app, {
    sampling: () => sampling,
    emit: (events) => pipeline.emit(events),
  });
  if (options.readCounters) {
    const poller = startCounterEventPoller({
      readCounters: options.readActiveCounters ?? readCounters,
      liveVms,
      pipeline,
      samples,
      intervalMs: options.eventPollMs ?? 2_000,
      logger: app.log,
      onReading: rateMetrics && ((vms, counters, atMs) => rateMetrics.record(vms, counters, atMs)),
    });
    app.addHook("onClose", async () => poller.stop());
  }
  const retention = startRetentionJob({
    events: securityEvents,
    intervalMs: 3_600_000,
    logger: app.log,
  });
  if (eventSettings.siem && eventMetrics) {
    const forwarding = startSiemForwarding({
      source: eventSettings.siem,
      events: securityEvents,
      deliveries: createSiemDeliveryRepository(options.db),
      context: siemContext,
      metrics: eventMetrics.siem,
      logger: app.log,
      vmFacts: createVmFactsReader({
        getVm: (vmId) => provisioner.get(vmId),
        customerTier: (tenantId) =>
          options.tenantConfig?.tenants().find((c) => c.tenant.id === tenantId)?.tenant.tier,
      }),
    });
    pipeline.onStored(() => forwarding.wake());
    app.addHook("onClose", async () => forwarding.stop());
  }
  // Closing: stop producing, then store what is buffered (hooks run in reverse order).
  app.addHook("onClose", async () => {
    retention.stop();
    await pipeline.close();
  });
  const provisionerOf = (req: FastifyRequest) => scopeProvisioner(provisioner, req.principal);
  // The host's capabilities, probed once when first needed: after the reconcile below (the
  // probe needs the driver's namespace), before the first request or scrape.
  let capabilitiesProbe: Promise<HostCapabilities> | undefined;
  const probeCapabilities = () => {
    capabilitiesProbe ??= options.driver.compat();
    return capabilitiesProbe;
  };
  const notEnforced = createNotEnforcedReport(options.driver, probeCapabilities);
  if (options.metrics)
    registerNotEnforcedMetrics({ registry: options.metrics, liveVms, report: notEnforced });
  registerVmSecurityRoutes(app, provisionerOf, notEnforced);
  registerVmRoutes(app, provisionerOf);
  const configHistory = createConfigHistory({
    repository: createConfigHistoryRepository(options.db),
  });
  registerConfigHistoryRoutes(app, { provisionerFor: provisionerOf, history: configHistory });
  registerCustomerRoutes(app, tenantRepository);
  registerAuditRoutes(app, auditTrail.repository);
  const blockedSources = createBlockedSourceRepository(options.db);
  const blockedSourceSync = createBlockedSourceSync({
    repository: blockedSources,
    driver: options.driver,
    hostLock,
  });
  registerBlockedSourceRoutes(app, {
    repository: blockedSources,
    sync: blockedSourceSync,
    hostLock,
    readCounters: options.readCounters,
  });
  const reconcile = () => provisioner.reconcile(blockedSourceSync.readForReconcile);
  // Moves of VMs between hosts (MigrateVm): this host takes VMs over, and removes its copy of
  // those another host took, reading the audit trail from its position before the reconcile
  // (a move committed before that position is the reconcile's to remove).
  const migration = createVmMigration({
    hostId: options.hostId,
    sharedDatabase: options.db.kind === "postgres",
    provisioner,
    repository: createVmRepository(options.db, { audit: auditTrail.writer }),
    hosts: createHostRepository(options.db),
    moves: createVmMoveLog(options.db),
    driver: options.driver,
    runtime: options.runtime,
    hostLock,
    clock: { now: () => new Date() },
    auditId: () => `audit-${ulid()}`,
    events: pipeline,
    logger: app.log,
    // The VM leaves this host's live index (counter events, metrics) and its port leaves the
    // packet samples' attribution, as a delete here would.
    onReleased: (vmId) => {
      liveIndex.refresh(vmId);
      sampling
        ?.refresh()
        .catch((error: unknown) =>
          app.log.warn({ err: error }, "refreshing packet sample attribution failed"),
        );
    },
  });
  await migration.start();
  await reconcile();
  // Checked on the heartbeat's interval: a VM that moved away is removed here within one, and
  // a source blocked or unblocked through another host of the fleet is programmed here.
  const fleetTasks = [
    singleFlight(() => migration.releaseMoved(), "reading the VMs that moved away failed", app.log),
    ...(options.db.kind === "postgres"
      ? [
          singleFlight(
            () => blockedSourceSync.apply(),
            "applying the fleet's blocked sources failed",
            app.log,
          ),
        ]
      : []),
  ];
  const fleetTimer = setInterval(() => {
    for (const task of fleetTasks) task.run();
  }, options.heartbeatMs ?? 5_000);
  fleetTimer.unref();
  app.addHook("onClose", async () => {
    clearInterval(fleetTimer);
    for (const task of fleetTasks) await task.settled();
  });
  // After the reconcile (the host probe needs the driver's namespace): every VM evaluated once,
  // then again on each change its control-plane event announces.
  const compliance = await startCompliance(app, {
    db: options.db,
    driver: options.driver,
    pipeline,
    tenantLayer: options.tenantConfig && ((id) => options.tenantConfig?.layer(id)),
    onReload: options.tenantConfig && ((listener) => options.tenantConfig?.onChange(listener)),
    metrics: options.metrics,
    hostId: options.hostId,
  });
  // After the reconcile: it creates the namespace and tables the samples come from.
  if (options.samples) {
    const started = await startPacketSampling({
      source: options.samples,
      aggregator: samples,
      liveVms,
      logger: app.log,
    });
    sampling = started;
    // A VM created or deleted changes which port and address belong to whom.
    pipeline.onStored((stored) => {
      if (stored.some((e) => e.eventType === "config_change"))
        started
          .refresh()
          .catch((error: unknown) =>
            app.log.warn({ err: error }, "refreshing packet sample attribution failed"),
          );
    });
    app.addHook("onClose", async () => started.stop());
  }
  // On demand: rebuild the host's enforcement from the database and remove leftovers.
  app.post("/debug/reconcile", async () => reconcile());
  // The fleet's registry: this host registers once it listens (its URL is known then) with the
  // capabilities its driver probed once now; the heartbeat runs no probe.
  const hostRegistry = createHostRepository(options.db);
  const capabilities = probeCapabilities();
  capabilities.catch(() => undefined);
  let heartbeat: HostHeartbeat | undefined;
  app.addHook("onClose", async () => heartbeat?.stop());
  app.addHook("onListen", async () => {
    heartbeat = await startHostHeartbeat({
      hosts: hostRegistry,
      registration: {
        hostId: options.hostId,
        address: listenUrl(app.server.address(), options.tls ? "https" : "http"),
        version: options.version,
        driver: options.driver.name,
        capabilities: await capabilities,
        heartbeatMs: options.heartbeatMs ?? 5_000,
      },
      clock: { now: () => new Date() },
      logger: app.log,
    });
  });

  await app.register(async (connect) => {
    connect.addHook("onRequest", createMethodCheck(allowedMethodsByPath(SERVICES)));
    connect.addHook("preHandler", createJsonBodyCheck(inputSchemasByPath(SERVICES)));
    await connect.register(fastifyConnectPlugin, {
      routes: createRoutes({
        provisionerFor: (ctx) => scopeProvisioner(provisioner, ctx.values.get(PRINCIPAL)),
        migration,
        notEnforced,
        events: securityEvents,
        pipeline,
        tenants: tenantRepository,
        configuredTenants: () => options.tenantConfig?.tenants().map((t) => t.tenant.id) ?? [],
        pools,
        allocator,
        compliance,
        configHistory,
        vms: createVmRepository(options.db, { audit: auditTrail.writer }),
        verifyAuditTrail: () => auditTrail.verify(),
        lastCounters: options.lastCounters,
        fleet: { hosts: hostRegistry, now: () => new Date() },
        host: {
          hostId: options.hostId,
          version: options.version,
          driver: options.driver.name,
          database: options.db.kind,
          authMode: options.authMode ?? "required",
          compat: () => options.driver.compat(),
        },
      }),
      contextValues: (req) => createContextValues().set(PRINCIPAL, req.principal),
      interceptors: [createErrorLog(app.log), textFieldCheck],
      // Responses show every field, false and empty ones too, so that jq paths always resolve.
      jsonOptions: { ignoreUnknownFields: false, alwaysEmitImplicit: true },
    });
  });
  await registerConsole(app);
  return app;
}

/** The URL of the bound address (IPv6 in brackets), as the fleet's registry advertises it. */
function listenUrl(address: AddressInfo | string | null, scheme: "http" | "https"): string {
  if (address === null || typeof address === "string") return `${scheme}://${address ?? ""}`;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

/**
 * A task a timer starts: a tick while the previous run still goes starts nothing, and a failure
 * is logged for the next tick to retry.
 */
function singleFlight(
  task: () => Promise<unknown>,
  failure: string,
  log: Pick<FastifyBaseLogger, "warn">,
) {
  let running: Promise<unknown> | undefined;
  return {
    run() {
      running ??= task()
        .catch((error: unknown) => log.warn({ err: error }, `${failure}; will retry`))
        .finally(() => {
          running = undefined;
        });
    },
    settled: () => running,
  };
}
