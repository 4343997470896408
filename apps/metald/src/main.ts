#!/usr/bin/env node
// metald command line: `metald serve` (the default) runs the control plane.
import { existsSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import {
  createCommandRunner,
  createDryRunDriver,
  createFirecrackerRuntime,
  createHostPathPolicy,
  createNetnsRuntime,
  createNftChannel,
  createNoRuntime,
  createSandboxDriver,
  createSysctlHardening,
  DEFAULT_SYSCTL_CONF_PATH,
  SAMPLE_LOG_GROUP,
  startHelperRunner,
  startNflogCapture,
  timedNftTransactions,
  timedRunner,
} from "@metald/core";
import {
  createHostBridgeRepository,
  createTokenRepository,
  openDatabase,
  timedSqlClient,
} from "@metald/db";
import { Registry } from "prom-client";
import { cliAuditRepository, runAuditCli } from "./cli/audit.js";
import { runBackup } from "./cli/backup.js";
import { runHarden } from "./cli/harden.js";
import { formatPrecheck, runPrecheck } from "./cli/precheck.js";
import { runRestore } from "./cli/restore.js";
import { runTokenCommand } from "./cli/tokens.js";
import { validateConfig } from "./cli/validate-config.js";
import { parseVmExecArgs, runVmExec } from "./cli/vm-exec.js";
import { formatConfigErrors, loadHostConfigFile } from "./config/load-host-config.js";
import { siemSettingsFrom } from "./config/siem-settings.js";
import { createTenantConfigStore } from "./config/tenant-config-store.js";
import { vmFileDirectories } from "./config/vm-file-directories.js";
import { readEnv, resolveServeSettings, sandboxGuestScope } from "./env.js";
import { createSiemSettingsSource } from "./events/siem-forwarding.js";
import { registerHostWorkMetrics } from "./metrics/host-work-metrics.js";
import { startMetricsServer } from "./metrics/metrics-server.js";
import { createServer } from "./server.js";
import { loadTlsCredentials } from "./tls/tls-credentials.js";
import { firecrackerOptions } from "./vm/firecracker-options.js";

const USAGE = `usage: metald [serve] [--listen HOST:PORT] [--data-dir DIR] [--database-url URL] [--log-level LEVEL]
                     [--tls-cert PEM --tls-key PEM [--tls-min-version 1.2|1.3]]
       metald --config PATH --validate-config   check the host configuration (YAML path and line of each problem)
       metald precheck      check that this host can enforce (exit 1 if not), and report sysctl drift
       metald harden [--check] [--conf PATH] [--namespace NS]
                            write and apply ${DEFAULT_SYSCTL_CONF_PATH} (idempotent);
                            --check reports drift only (exit 1 if any)
       metald token create --role operator|tenant|auditor [--tenant ID] [--name NAME] | list | revoke ID
       metald backup > FILE    tenants, pools, VMs with their configuration history, tokens (hashes),
                            blocked sources and host bridges as one JSON document (docs/operations.md)
       metald restore < FILE   restore a backup into an EMPTY database (exit 1 if it holds data)
       metald audit verify [--json] | checkpoint
                            check the audit trail's hash chain (exit 1 naming the first bad record)
       metald vm-exec VM [--] COMMAND [ARG…]   run a command in the VM's guest (netns runtime)
       metald --version

Environment: METALD_HTTP_HOST, METALD_HTTP_PORT, METALD_DATA_DIR, DATABASE_URL, METALD_DB_POOL_SIZE,
METALD_DRIVER, METALD_AUTH, METALD_TLS_CERT, METALD_TLS_KEY, METALD_TLS_MIN_VERSION, METALD_LOG_LEVEL,
METALD_HOST_ID, METALD_DEFAULT_PROFILE, METALD_AUDIT_KEYRING, METALD_AUDIT_CHECKPOINT_KEY,
METALD_AUDIT_CHECKPOINT_EVERY, METALD_HEARTBEAT_MS. Flags override them.`;

const DEFAULT_CONFIG = "/etc/metald/config.yaml";

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function serve(flags: {
  listen?: string;
  "data-dir"?: string;
  "database-url"?: string;
  "log-level"?: string;
  config?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  "tls-min-version"?: string;
}) {
  // The host configuration file: given, or the default path when it exists.
  const configPath = flags.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  const loaded = configPath ? await loadHostConfigFile(configPath, process.env) : undefined;
  if (loaded && "errors" in loaded) {
    console.error(formatConfigErrors(configPath as string, loaded.errors).join("\n"));
    process.exit(1);
  }
  const hostConfig = loaded?.config;
  const tenantConfig = hostConfig && createTenantConfigStore(hostConfig);
  const env = readEnv({
    ...process.env,
    ...(flags["data-dir"] && { METALD_DATA_DIR: flags["data-dir"] }),
    ...(flags["database-url"] && { DATABASE_URL: flags["database-url"] }),
    ...(flags["log-level"] && { METALD_LOG_LEVEL: flags["log-level"] }),
    ...(flags["tls-cert"] && { METALD_TLS_CERT: flags["tls-cert"] }),
    ...(flags["tls-key"] && { METALD_TLS_KEY: flags["tls-key"] }),
    ...(flags["tls-min-version"] && { METALD_TLS_MIN_VERSION: flags["tls-min-version"] }),
    ...(flags.listen && {
      METALD_HTTP_HOST: flags.listen
        .slice(0, flags.listen.lastIndexOf(":"))
        .replace(/^\[|\]$/g, ""),
      METALD_HTTP_PORT: flags.listen.slice(flags.listen.lastIndexOf(":") + 1),
    }),
  });
  const settings = resolveServeSettings(env, process.getuid?.() === 0);
  if ("refused" in settings) {
    console.error(settings.refused);
    process.exit(1);
  }
  // Started now, while the server is still small: every host command is spawned by this helper,
  // not forked from the server once the database has made it large (helper-runner.ts).
  // Only metald's own metrics: prom-client's Node.js defaults fail `promtool check metrics`
  // (gauges named *_total).
  const metrics = new Registry();
  const hostWork = registerHostWorkMetrics(metrics);
  const runner = timedRunner(
    settings.driver === "dry-run" ? createCommandRunner() : startHelperRunner(),
    hostWork.command,
  );
  const tls =
    env.METALD_TLS_CERT && env.METALD_TLS_KEY
      ? loadTlsCredentials({
          certPath: env.METALD_TLS_CERT,
          keyPath: env.METALD_TLS_KEY,
          minVersion: env.METALD_TLS_MIN_VERSION,
        })
      : undefined;
  const db = timedSqlClient(
    await openDatabase({
      databaseUrl: env.DATABASE_URL,
      dataDir: env.METALD_DATA_DIR,
      poolSize: env.METALD_DB_POOL_SIZE,
    }),
    hostWork.statement,
  );
  // The bridges metald created, per host and per namespace standing for it.
  const bridgeRegistry = createHostBridgeRepository(db, {
    hostId: env.METALD_HOST_ID,
    scope: settings.driver === "linux" ? "" : env.METALD_SANDBOX_NAMESPACE,
  });
  const sandbox =
    settings.driver === "dry-run"
      ? undefined
      : createSandboxDriver({
          runner,
          namespace: env.METALD_SANDBOX_NAMESPACE,
          bridges: bridgeRegistry,
          mode: settings.driver === "linux" ? "linux" : "sandbox",
          // Per-VM rule changes through one long-lived `nft -i` (~0.3 ms, not a spawn each).
          nftChannel: (namespace) =>
            timedNftTransactions(createNftChannel({ namespace }), hostWork.command),
        });
  const runtimeName = env.METALD_RUNTIME ?? (settings.driver === "linux" ? "firecracker" : "netns");
  const firecracker =
    sandbox && runtimeName === "firecracker" ? firecrackerOptions(env) : undefined;
  if (firecracker && "refused" in firecracker) {
    console.error(firecracker.refused);
    process.exit(1);
  }
  // Replaced on SIGHUP with the reloaded file's (the environment's stay first).
  let vmFiles = vmFileDirectories(hostConfig, env);
  // The file's siem_integration with METALD_SIEM_* over it; SIGHUP replaces it the same way.
  const siem = createSiemSettingsSource(siemSettingsFrom(hostConfig, env));
  const fileCompliance = hostConfig?.metald.network.ipv6.compliance;
  const auditConfig = fileCompliance?.audit_config;
  const app = await createServer({
    audit: {
      encrypt: auditConfig?.encrypt_logs === true,
      keyringPath: env.METALD_AUDIT_KEYRING,
      checkpointKeyPath: env.METALD_AUDIT_CHECKPOINT_KEY,
      checkpointEvery: env.METALD_AUDIT_CHECKPOINT_EVERY,
      logDestination: auditConfig?.enabled === false ? undefined : auditConfig?.log_destination,
      retentionDays: fileCompliance?.data_retention_days,
    },
    tls,
    authMode: env.METALD_AUTH,
    eventPollMs: env.METALD_EVENT_POLL_MS,
    defaultPoolPrefix: env.METALD_DEFAULT_POOL_PREFIX,
    events: {
      retentionDays: env.METALD_EVENT_RETENTION_DAYS,
      feedMaxConcurrent: env.METALD_FEED_MAX_CONCURRENT,
      siem,
    },
    metrics,
    db,
    driver: sandbox ?? createDryRunDriver(),
    runtime: !sandbox
      ? createNoRuntime()
      : firecracker
        ? createFirecrackerRuntime(firecracker)
        : createNetnsRuntime(runner),
    hostPaths: createHostPathPolicy({
      directories: () => vmFiles,
      runtimeOpensFiles: firecracker !== undefined,
    }),
    bridgeRegistry: sandbox && bridgeRegistry,
    linkExists: sandbox && ((name) => sandbox.linkExists(name)),
    readCounters: sandbox && (() => sandbox.readCounters()),
    lastCounters: sandbox && (() => sandbox.lastCounters()),
    readActiveCounters: sandbox && (() => sandbox.readActiveCounters()),
    lastActiveCounters: sandbox && (() => sandbox.lastActiveCounters()),
    readVmCounters: sandbox && ((elements) => sandbox.readVmCounters(elements)),
    samples: sandbox && {
      async start(onRecord, onError) {
        const capture = startNflogCapture({
          group: SAMPLE_LOG_GROUP,
          namespace: sandbox.namespace,
          onRecord: (record) => onRecord(record),
          onError,
        });
        await capture.ready;
        return capture;
      },
      portIndexes: () => sandbox.portIndexes(),
      setBoost: (ports, addresses) => sandbox.setSampleBoost(ports, addresses),
    },
    hostId: env.METALD_HOST_ID,
    guestScope:
      settings.driver === "sandbox" ? sandboxGuestScope(env.METALD_SANDBOX_NAMESPACE) : undefined,
    heartbeatMs: env.METALD_HEARTBEAT_MS,
    // The file's security_profile is the host default; without a file, the environment's.
    defaultProfile:
      (hostConfig?.metald.network.ipv6.security_profile.toUpperCase() as
        | typeof env.METALD_DEFAULT_PROFILE
        | undefined) ?? env.METALD_DEFAULT_PROFILE,
    tenantConfig,
    logLevel: env.METALD_LOG_LEVEL,
    version: version(),
  });
  if (firecracker && !firecracker.jailer)
    app.log.warn(
      "no jailer binary found: each VM's firecracker runs as root without a chroot (install the jailer or set METALD_JAILER_BINARY; METALD_JAILER=required refuses to start without it)",
    );
  let metricsServer: Server | undefined;
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    try {
      metricsServer?.close();
      await app.close();
      await db.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, "unclean shutdown");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  // Reload the host configuration; a bad file keeps the old one. Requests keep being served.
  process.on("SIGHUP", () => {
    if (!configPath || !tenantConfig) {
      app.log.warn("SIGHUP: no configuration file was loaded at start; nothing to reload");
      return;
    }
    void (async () => {
      const next = await loadHostConfigFile(configPath, process.env);
      if ("errors" in next) {
        app.log.error(
          { errors: formatConfigErrors(configPath, next.errors) },
          "configuration reload refused; keeping the running configuration",
        );
        return;
      }
      try {
        const nextSiem = siemSettingsFrom(next.config, env);
        tenantConfig.replace(next.config);
        vmFiles = vmFileDirectories(next.config, env);
        siem.replace(nextSiem);
        app.log.info(
          { path: configPath, tenants: tenantConfig.tenants().length },
          "configuration reloaded",
        );
      } catch (error) {
        app.log.error(
          { err: error },
          "configuration reload refused; keeping the running configuration",
        );
      }
    })();
  });
  process.on("SIGINT", () => void shutdown("SIGINT"));
  for (const warning of settings.warnings) app.log.warn(warning);
  const scheme = tls ? "https" : "http";
  await app.listen({
    host: settings.host,
    port: env.METALD_HTTP_PORT,
    listenTextResolver: (address) =>
      `Server listening at ${address.replace(/^http:/, `${scheme}:`)}`,
  });
  metricsServer = await startMetricsServer(
    metrics,
    env.METALD_METRICS_HOST,
    env.METALD_METRICS_PORT,
  );
  // The bound addresses (a port of 0 is chosen by the kernel) are reported whatever the log level.
  app.log.child({}, { level: "info" }).info(
    {
      url: httpUrl(app.server.address(), scheme),
      metricsUrl: `${httpUrl(metricsServer.address())}/metrics`,
      database: db.kind,
      dataDir: env.DATABASE_URL ? undefined : env.METALD_DATA_DIR,
      driver: settings.driver,
      tls: tls ? { minVersion: tls.minVersion } : false,
    },
    "metald ready",
  );
}

function httpUrl(address: AddressInfo | string | null, scheme: "http" | "https" = "http"): string {
  if (address === null || typeof address === "string") return String(address);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}

async function main(argv: string[]) {
  // Before option parsing: the guest command's own options (`ip -6 …`) are not metald's.
  if (argv[0] === "vm-exec") {
    const request = parseVmExecArgs(argv.slice(1));
    if ("error" in request) {
      console.error(request.error);
      process.exit(2);
    }
    process.exit(
      await runVmExec({
        ...request,
        scope: sandboxGuestScope(process.env.METALD_SANDBOX_NAMESPACE),
      }),
    );
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      listen: { type: "string" },
      "data-dir": { type: "string" },
      "database-url": { type: "string" },
      "log-level": { type: "string" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-min-version": { type: "string" },
      version: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      config: { type: "string" },
      "validate-config": { type: "boolean" },
      check: { type: "boolean" },
      conf: { type: "string" },
      namespace: { type: "string" },
      role: { type: "string" },
      tenant: { type: "string" },
      name: { type: "string" },
      json: { type: "boolean" },
    },
  });
  if (values.help) return console.log(USAGE);
  if (values.version) return console.log(version());
  if (values["validate-config"]) {
    const { text, exitCode } = await validateConfig(values.config ?? DEFAULT_CONFIG, process.env);
    (exitCode === 0 ? console.log : console.error)(text);
    process.exit(exitCode);
  }
  const command = positionals[0] ?? "serve";
  const runner = createCommandRunner();
  const hardening = () =>
    createSysctlHardening({ confPath: values.conf, namespace: values.namespace, runner });
  if (command === "precheck") {
    const { text, exitCode } = formatPrecheck(await runPrecheck(runner, hardening()));
    console.log(text);
    process.exit(exitCode);
  }
  if (command === "token") {
    const env = readEnv({
      ...process.env,
      ...(values["data-dir"] && { METALD_DATA_DIR: values["data-dir"] }),
      ...(values["database-url"] && { DATABASE_URL: values["database-url"] }),
    });
    const db = await openDatabase({
      databaseUrl: env.DATABASE_URL,
      dataDir: env.METALD_DATA_DIR,
      poolSize: 1,
    });
    try {
      const { text, exitCode } = await runTokenCommand(
        createTokenRepository(db),
        positionals.slice(1),
        values,
        cliAuditRepository(db, env),
      );
      (exitCode === 0 ? console.log : console.error)(text);
      process.exitCode = exitCode;
    } finally {
      await db.close();
    }
    return;
  }
  if (command === "audit") return runAuditCli(positionals.slice(1), values, process.env);
  if (command === "backup") return runBackup(values);
  if (command === "restore") return runRestore(values);
  if (command === "harden") {
    const { text, exitCode } = await runHarden(hardening(), values.check ?? false);
    console.log(text);
    process.exit(exitCode);
  }
  if (command !== "serve") {
    console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
    process.exit(2);
  }
  await serve(values);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
