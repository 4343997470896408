// The architecture-guide form (IPv6SecurityConfig) → one policy layer, checking each field.
import {
  type IPv6SecurityConfig,
  ExtensionHeaderMode as ProtoEhMode,
  FragmentPolicy as ProtoFragmentPolicy,
  ComplianceFramework as ProtoFramework,
  InterTenantPolicy as ProtoInterTenant,
  LogLevel as ProtoLogLevel,
  RateLimitMethod as ProtoMethod,
  SecurityProfile as ProtoProfile,
} from "@metald/proto";
import {
  checkAbsolutePath,
  checkLimit,
  checkLinuxName,
  checkListLength,
  checkPrefix,
  checkRange,
  checkUnicastAddress,
  checkVlan,
} from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { BOUND_REASONS, LIMITS } from "./limits.js";
import type {
  ComplianceFramework,
  ExtensionHeaderMode,
  FragmentPolicy,
  InterTenantPolicy,
  LogLevel,
  PolicyLayer,
  RateLimitMethod,
  SecurityProfileName,
} from "./security-policy.js";

export const PROFILE_FROM_PROTO: Record<ProtoProfile, SecurityProfileName | undefined> = {
  [ProtoProfile.UNSPECIFIED]: undefined,
  [ProtoProfile.HIGH]: "HIGH",
  [ProtoProfile.MEDIUM]: "MEDIUM",
  [ProtoProfile.LOW]: "LOW",
  [ProtoProfile.CUSTOM]: "CUSTOM",
};
const EH_MODE: Record<ProtoEhMode, ExtensionHeaderMode | undefined> = {
  [ProtoEhMode.UNSPECIFIED]: undefined,
  [ProtoEhMode.ALLOW_ALL]: "ALLOW_ALL",
  [ProtoEhMode.BLOCK_ALL]: "BLOCK_ALL",
  [ProtoEhMode.SELECTIVE]: "SELECTIVE",
};
const FRAGMENT: Record<ProtoFragmentPolicy, FragmentPolicy | undefined> = {
  [ProtoFragmentPolicy.UNSPECIFIED]: undefined,
  [ProtoFragmentPolicy.ALLOW]: "ALLOW",
  [ProtoFragmentPolicy.BLOCK]: "BLOCK",
  [ProtoFragmentPolicy.REASSEMBLE]: "REASSEMBLE",
};
const INTER_TENANT: Record<ProtoInterTenant, InterTenantPolicy | undefined> = {
  [ProtoInterTenant.UNSPECIFIED]: undefined,
  [ProtoInterTenant.BLOCK_ALL]: "BLOCK_ALL",
  [ProtoInterTenant.ALLOW_ALL]: "ALLOW_ALL",
  [ProtoInterTenant.SELECTIVE]: "SELECTIVE",
};
const METHOD: Record<ProtoMethod, RateLimitMethod | undefined> = {
  [ProtoMethod.UNSPECIFIED]: undefined,
  [ProtoMethod.TOKEN_BUCKET]: "TOKEN_BUCKET",
  [ProtoMethod.LEAKY_BUCKET]: "LEAKY_BUCKET",
  [ProtoMethod.SLIDING_WINDOW]: "SLIDING_WINDOW",
};
const LOG_LEVEL: Record<ProtoLogLevel, LogLevel | undefined> = {
  [ProtoLogLevel.UNSPECIFIED]: undefined,
  [ProtoLogLevel.DEBUG]: "DEBUG",
  [ProtoLogLevel.INFO]: "INFO",
  [ProtoLogLevel.WARN]: "WARN",
  [ProtoLogLevel.ERROR]: "ERROR",
  [ProtoLogLevel.CRITICAL]: "CRITICAL",
};
export const FRAMEWORK_FROM_PROTO: Record<ProtoFramework, ComplianceFramework | undefined> = {
  [ProtoFramework.UNSPECIFIED]: undefined,
  [ProtoFramework.SOC2]: "SOC2",
  [ProtoFramework.PCI_DSS]: "PCI_DSS",
  [ProtoFramework.GDPR]: "GDPR",
  [ProtoFramework.HIPAA]: "HIPAA",
  [ProtoFramework.ISO27001]: "ISO27001",
};

function enumValue<E extends number, T>(
  table: Record<E, T | undefined>,
  value: E,
  path: string,
): T | undefined {
  if (!(value in table)) throw new FieldError(path, `unknown enum value ${value}`);
  return table[value];
}

export function checkPrefixList(list: readonly string[], path: string): string[] {
  checkListLength(list, LIMITS.listEntries, path);
  return list.map((p, i) => checkPrefix(p, `${path}[${i}]`));
}

export interface SecurityConfigLayer {
  profile?: SecurityProfileName;
  layer: PolicyLayer;
}

/**
 * Checks an IPv6SecurityConfig and turns the fields it sets into a policy layer. Address and
 * prefix fields of `config` are rewritten in canonical form (callers pass their own copy).
 */
export function securityConfigLayer(config: IPv6SecurityConfig, path: string): SecurityConfigLayer {
  const layer: PolicyLayer = {};
  const profile = enumValue(PROFILE_FROM_PROTO, config.profile, `${path}.profile`);

  const ra = config.raGuard;
  if (ra) {
    const p = `${path}.ra_guard`;
    const allowedRouters = ra.allowedRouters.map((r, i) =>
      checkUnicastAddress(r, `${p}.allowed_routers[${i}]`),
    );
    ra.allowedRouters = allowedRouters;
    if (ra.blockAllRa === true && allowedRouters.length > 0) {
      throw new FieldError(
        `${p}.allowed_routers`,
        "lists routers while block_all_ra is true; set block_all_ra to false to allow them",
      );
    }
    layer.raGuard = {
      enabled: ra.enabled,
      // Listing routers means "allow these", so it implies block_all_ra=false unless set.
      blockAllRa: ra.blockAllRa ?? (allowedRouters.length > 0 ? false : undefined),
      allowedRouters: allowedRouters.length > 0 ? allowedRouters : undefined,
      maxRaRate:
        ra.maxRaRate === undefined
          ? undefined
          : checkLimit(ra.maxRaRate, LIMITS.raPerMinute, `${p}.max_ra_rate`, "RAs/minute"),
      blockConfig: ra.blockConfig && {
        blockPrefixInfo: ra.blockConfig.blockPrefixInfo,
        blockMtuOptions: ra.blockConfig.blockMtuOptions,
        blockRouteInfo: ra.blockConfig.blockRouteInfo,
        blockRdnss: ra.blockConfig.blockRdnss,
      },
    };
  }

  const sv = config.sourceValidation;
  if (sv) {
    const p = `${path}.source_validation`;
    const off = sv.enabled === false ? false : undefined;
    const ingress = checkPrefixList(sv.allowedIngressPrefixes, `${p}.allowed_ingress_prefixes`);
    const egress = checkPrefixList(sv.allowedEgressPrefixes, `${p}.allowed_egress_prefixes`);
    const destinations = checkPrefixList(sv.allowedDestinations, `${p}.allowed_destinations`);
    sv.allowedIngressPrefixes = ingress;
    sv.allowedEgressPrefixes = egress;
    sv.allowedDestinations = destinations;
    layer.sourceValidation = {
      sourceGuard: sv.sourceGuard ?? off,
      strictIngress: sv.strictIngress ?? off,
      strictEgress: sv.strictEgress ?? off,
      allowedIngressPrefixes: ingress.length > 0 ? ingress : undefined,
      allowedEgressPrefixes: egress.length > 0 ? egress : undefined,
      blockPrivateAddresses: sv.blockPrivateAddresses ?? off,
      reversePathFiltering: sv.reversePathFiltering ?? off,
      allowedDestinations: destinations.length > 0 ? destinations : undefined,
    };
  }

  const eh = config.extensionHeaders;
  if (eh) {
    const p = `${path}.extension_headers`;
    const mode = enumValue(EH_MODE, eh.mode, `${p}.mode`);
    if (eh.allowedTypes.length > 0 && mode !== undefined && mode !== "SELECTIVE") {
      throw new FieldError(
        `${p}.allowed_types`,
        "applies only with mode EXTENSION_HEADER_MODE_SELECTIVE",
      );
    }
    const seen = new Set<number>();
    for (const [i, t] of eh.allowedTypes.entries()) {
      if (t > 255)
        throw new FieldError(`${p}.allowed_types[${i}]`, `${t} is not a Next Header value (0–255)`);
      if (seen.has(t)) throw new FieldError(`${p}.allowed_types[${i}]`, `${t} is listed twice`);
      seen.add(t);
    }
    layer.extensionHeaders = {
      mode: mode ?? (eh.allowedTypes.length > 0 ? "SELECTIVE" : undefined),
      allowedTypes: eh.allowedTypes.length > 0 ? [...eh.allowedTypes] : undefined,
      maxChainLength:
        eh.maxChainLength === undefined
          ? undefined
          : checkLimit(
              eh.maxChainLength,
              LIMITS.maxChainLength,
              `${p}.max_chain_length`,
              "headers",
            ),
      fragmentPolicy: enumValue(FRAGMENT, eh.fragmentPolicy, `${p}.fragment_policy`),
    };
  }

  const iso = config.isolation;
  if (iso) {
    const p = `${path}.isolation`;
    const customerVlan =
      iso.customerVlan === undefined
        ? undefined
        : checkVlan(iso.customerVlan, `${p}.customer_vlan`);
    const additional = iso.additionalVlans.map((v, i) =>
      checkVlan(v, `${p}.additional_vlans[${i}]`),
    );
    for (const [i, v] of additional.entries()) {
      if (v === customerVlan || additional.indexOf(v) !== i) {
        throw new FieldError(`${p}.additional_vlans[${i}]`, `VLAN ${v} is listed twice`);
      }
    }
    layer.isolation = {
      customerVlan,
      additionalVlans: additional.length > 0 ? additional : undefined,
      networkNamespace:
        iso.networkNamespace === undefined
          ? undefined
          : checkLinuxName(iso.networkNamespace, `${p}.network_namespace`),
      bridgeInterface:
        iso.bridgeInterface === undefined
          ? undefined
          : checkLinuxName(iso.bridgeInterface, `${p}.bridge_interface`),
      interTenantPolicy: enumValue(INTER_TENANT, iso.interTenantPolicy, `${p}.inter_tenant_policy`),
      enableMldSnooping: iso.enableMldSnooping,
    };
  }

  const rl = config.rateLimits;
  if (rl) {
    const p = `${path}.rate_limits`;
    const off = rl.enabled === false ? 0 : undefined;
    const burst = rl.burstConfig;
    layer.rateLimits = {
      maxPpsPerVm:
        rl.maxPpsPerVm === undefined
          ? off
          : checkLimit(rl.maxPpsPerVm, LIMITS.ppsPerVm, `${p}.max_pps_per_vm`, "packets/s"),
      maxBandwidthPerVm:
        rl.maxBandwidthPerVm === undefined
          ? off
          : checkLimit(
              rl.maxBandwidthPerVm,
              LIMITS.bandwidthBytesPerSecond,
              `${p}.max_bandwidth_per_vm`,
              "bytes/s",
              BOUND_REASONS.bandwidth,
            ),
      maxConnectionsPerVm:
        rl.maxConnectionsPerVm === undefined
          ? off
          : checkLimit(
              rl.maxConnectionsPerVm,
              LIMITS.connectionsPerVm,
              `${p}.max_connections_per_vm`,
              "connections",
            ),
      method: enumValue(METHOD, rl.method, `${p}.method`),
      burst: burst && {
        packets:
          burst.burstPackets === undefined
            ? undefined
            : checkLimit(
                burst.burstPackets,
                LIMITS.burstPackets,
                `${p}.burst_config.burst_packets`,
                "packets",
              ),
        durationMs:
          burst.burstDurationMs === undefined
            ? undefined
            : checkLimit(
                burst.burstDurationMs,
                LIMITS.burstDurationMs,
                `${p}.burst_config.burst_duration_ms`,
                "ms",
              ),
        recoveryS:
          burst.recoveryTimeS === undefined
            ? undefined
            : checkLimit(
                burst.recoveryTimeS,
                LIMITS.recoveryS,
                `${p}.burst_config.recovery_time_s`,
                "s",
              ),
      },
    };
  }

  const nd = config.neighborDiscovery;
  if (nd) {
    const p = `${path}.neighbor_discovery`;
    layer.neighborDiscovery = {
      ndRateLimit:
        nd.ndRateLimit === undefined
          ? undefined
          : checkLimit(nd.ndRateLimit, LIMITS.ndPps, `${p}.nd_rate_limit`, "packets/s"),
      icmpv6RateLimit:
        nd.icmpv6RateLimit === undefined
          ? undefined
          : checkLimit(nd.icmpv6RateLimit, LIMITS.ndPps, `${p}.icmpv6_rate_limit`, "packets/s"),
      multicastRateLimit:
        nd.multicastRateLimit === undefined
          ? undefined
          : checkLimit(
              nd.multicastRateLimit,
              LIMITS.ndPps,
              `${p}.multicast_rate_limit`,
              "packets/s",
            ),
    };
  }

  const mon = config.monitoring;
  if (mon) {
    const p = `${path}.monitoring`;
    const siem = mon.siemConfig;
    if (siem?.authToken !== undefined && siem.authToken !== "") {
      throw new FieldError(
        `${p}.siem_config.auth_token`,
        "secrets are not accepted in a VM's configuration; set the SIEM token in the host configuration",
      );
    }
    layer.monitoring = {
      enableSecurityLogging: mon.enableSecurityLogging,
      securityLogLevel: enumValue(LOG_LEVEL, mon.securityLogLevel, `${p}.security_log_level`),
      enableMetrics: mon.enableMetrics,
      metricsIntervalS:
        mon.metricsIntervalS === undefined || mon.metricsIntervalS === 0
          ? undefined
          : checkRange(
              mon.metricsIntervalS,
              1,
              LIMITS.metricsIntervalS,
              `${p}.metrics_interval_s`,
              "s",
            ),
      siem: siem && {
        enabled: siem.enabled,
        endpoint:
          siem.endpoint === undefined
            ? undefined
            : checkSiemEndpoint(siem.endpoint, `${p}.siem_config.endpoint`),
        logFormat:
          siem.logFormat === undefined
            ? undefined
            : checkLogFormat(siem.logFormat, `${p}.siem_config.log_format`),
      },
    };
  }

  const comp = config.compliance;
  if (comp) {
    const p = `${path}.compliance`;
    const frameworks = comp.frameworks.map((f, i) => {
      const name = enumValue(FRAMEWORK_FROM_PROTO, f, `${p}.frameworks[${i}]`);
      if (!name)
        throw new FieldError(
          `${p}.frameworks[${i}]`,
          "COMPLIANCE_FRAMEWORK_UNSPECIFIED is not a framework",
        );
      return name;
    });
    const audit = comp.auditConfig;
    const enc = comp.encryption;
    layer.compliance = {
      frameworks: frameworks.length > 0 ? [...new Set(frameworks)] : undefined,
      dataRetentionDays:
        comp.dataRetentionDays === undefined
          ? undefined
          : checkRange(
              comp.dataRetentionDays,
              1,
              LIMITS.dataRetentionDays,
              `${p}.data_retention_days`,
              "days",
            ),
      audit: audit && {
        enabled: audit.enabled,
        logDestination:
          audit.logDestination === undefined
            ? undefined
            : checkAbsolutePath(audit.logDestination, `${p}.audit_config.log_destination`),
        includePerformanceData: audit.includePerformanceData,
        encryptLogs: audit.encryptLogs,
      },
      encryption: enc && {
        requireTls: enc.requireTls,
        minTlsVersion:
          enc.minTlsVersion === undefined
            ? undefined
            : checkTlsVersion(enc.minTlsVersion, `${p}.encryption.min_tls_version`),
        requireEncryptionAtRest: enc.requireEncryptionAtRest,
        allowedCiphers:
          enc.allowedCiphers.length > 0
            ? enc.allowedCiphers.map((c, i) =>
                checkCipher(c, `${p}.encryption.allowed_ciphers[${i}]`),
              )
            : undefined,
      },
    };
  }
  return { profile, layer };
}

function checkSiemEndpoint(text: string, path: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FieldError(path, `${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new FieldError(path, `${JSON.stringify(text)} must be an http(s) URL`);
  }
  if (url.username || url.password) throw new FieldError(path, "must not carry credentials");
  return text;
}

function checkLogFormat(text: string, path: string): "JSON" | "CEF" | "LEEF" {
  const upper = text.toUpperCase();
  if (upper !== "JSON" && upper !== "CEF" && upper !== "LEEF") {
    throw new FieldError(
      path,
      `${JSON.stringify(text)} is not a log format; use JSON, CEF or LEEF`,
    );
  }
  return upper;
}

function checkTlsVersion(text: string, path: string): string {
  if (text !== "1.2" && text !== "1.3")
    throw new FieldError(path, `${JSON.stringify(text)} is not a TLS version; use "1.2" or "1.3"`);
  return text;
}

function checkCipher(text: string, path: string): string {
  if (!/^TLS_[A-Z0-9_]{4,60}$/.test(text))
    throw new FieldError(path, `${JSON.stringify(text)} is not a TLS cipher suite name`);
  return text;
}
