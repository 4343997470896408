// The SIEM push settings in force: the host configuration's siem_integration block (or the older
// monitoring.siem_config), each value overridden by its METALD_SIEM_* variable when that is set,
// and the guide's defaults for the rest. Run at start and on every SIGHUP.
import {
  DEFAULT_RETRY_POLICY,
  isSyslogUrl,
  parseSyslogEndpoint,
  type SiemFormat,
  type SiemRouteConfig,
  type SiemRoutingConfig,
  siemRoutesFromConfig,
} from "@metald/core";
import type { Env } from "../env.js";
import type { SiemSettings } from "../events/siem-forwarding.js";
import type { HostConfig } from "./host-config-schema.js";

const DEFAULT_FLUSH_INTERVAL_MS = 30_000;
const DEFAULT_MAX_BUFFER = 10_000;

type SiemEnv = Pick<
  Env,
  | "METALD_SIEM_ENDPOINT"
  | "METALD_SIEM_TOKEN_FILE"
  | "METALD_SIEM_FORMATS"
  | "METALD_SIEM_FLUSH_INTERVAL_MS"
  | "METALD_SIEM_MAX_RETRIES"
  | "METALD_SIEM_RETRY_DELAY_MS"
  | "METALD_SIEM_BACKOFF_MULTIPLIER"
  | "METALD_SIEM_MAX_RETRY_DELAY_MS"
  | "METALD_SIEM_MAX_BUFFER"
>;

/**
 * Undefined: no SIEM push (no endpoint anywhere, or the file turns it off). Throws for a
 * METALD_SIEM_ENDPOINT syslog URL it cannot use (the file's URLs were checked by its schema).
 */
export function siemSettingsFrom(
  config: HostConfig | undefined,
  env: SiemEnv,
): SiemSettings | undefined {
  if (env.METALD_SIEM_ENDPOINT !== undefined && isSyslogUrl(env.METALD_SIEM_ENDPOINT)) {
    const checked = parseSyslogEndpoint(env.METALD_SIEM_ENDPOINT);
    if ("problem" in checked) throw new Error(`METALD_SIEM_ENDPOINT ${checked.problem}`);
  }
  const block = config?.siem_integration;
  const legacy = config?.metald.network.ipv6.monitoring?.siem_config;
  const enabled = block ? block.enabled !== false : legacy?.enabled === true;
  const endpoint =
    env.METALD_SIEM_ENDPOINT ?? (block ? block.endpoint : legacy?.endpoint) ?? undefined;
  const routing = block?.event_routing as SiemRoutingConfig | undefined;
  const routeEndpoints = Object.values(routing ?? {}).filter(
    (r: SiemRouteConfig) => r.enabled !== false && r.endpoint !== undefined,
  );
  // The environment alone turns the push on; the file's block needs enabled (not false).
  if (env.METALD_SIEM_ENDPOINT === undefined && !enabled) return undefined;
  if (endpoint === undefined && routeEndpoints.length === 0) return undefined;
  const legacyFormat = legacy?.log_format?.toLowerCase() as SiemFormat | undefined;
  const securityFormats = env.METALD_SIEM_FORMATS ??
    block?.event_routing?.security_events?.formats ?? [legacyFormat ?? "json"];
  const retry = block?.retry_policy;
  const buffer = block?.buffer_config;
  const tokenFile = env.METALD_SIEM_TOKEN_FILE ?? block?.authentication?.token_file;
  const tls = block?.tls;
  const enrichment = block?.enrichment;
  return {
    // Routes that all have their own endpoint need none here; it is then never used.
    endpoint: endpoint ?? (routeEndpoints[0]?.endpoint as string),
    ...(tokenFile !== undefined && { tokenFile }),
    ...(tokenFile === undefined &&
      legacy?.auth_token !== undefined && { token: legacy.auth_token }),
    routes: siemRoutesFromConfig(routing, securityFormats),
    flushIntervalMs:
      env.METALD_SIEM_FLUSH_INTERVAL_MS ?? buffer?.flush_interval ?? DEFAULT_FLUSH_INTERVAL_MS,
    retry: {
      maxRetries:
        env.METALD_SIEM_MAX_RETRIES ?? retry?.max_retries ?? DEFAULT_RETRY_POLICY.maxRetries,
      retryDelayMs:
        env.METALD_SIEM_RETRY_DELAY_MS ?? retry?.retry_delay ?? DEFAULT_RETRY_POLICY.retryDelayMs,
      backoffMultiplier:
        env.METALD_SIEM_BACKOFF_MULTIPLIER ??
        retry?.backoff_multiplier ??
        DEFAULT_RETRY_POLICY.backoffMultiplier,
      maxRetryDelayMs:
        env.METALD_SIEM_MAX_RETRY_DELAY_MS ??
        retry?.max_retry_delay ??
        DEFAULT_RETRY_POLICY.maxRetryDelayMs,
    },
    maxBufferSize: env.METALD_SIEM_MAX_BUFFER ?? buffer?.max_buffer_size ?? DEFAULT_MAX_BUFFER,
    ...(tls && {
      syslogTls: {
        caFile: tls.ca_file,
        certFile: tls.cert_file,
        keyFile: tls.key_file,
        serverName: tls.server_name,
      },
    }),
    ...(enrichment && {
      enrichment: {
        includeVmMetadata: enrichment.include_vm_metadata === true,
        includeCustomerContext: enrichment.include_customer_context === true,
        includeNetworkTopology: enrichment.include_network_topology === true,
      },
    }),
  };
}
