// What each security profile turns on. docs/security-profiles.md explains the choices.
import type { PolicyLayer, SecurityPolicy, SecurityProfileName } from "./security-policy.js";

/** The bottom layer: every control off, except tenant isolation, which is never implicit. */
export const DEFAULT_POLICY: SecurityPolicy = {
  raGuard: {
    enabled: false,
    blockAllRa: false,
    allowedRouters: [],
    maxRaRate: 0,
    blockConfig: {
      blockPrefixInfo: false,
      blockMtuOptions: false,
      blockRouteInfo: false,
      blockRdnss: false,
    },
  },
  sourceValidation: {
    sourceGuard: false,
    strictIngress: false,
    strictEgress: false,
    allowedIngressPrefixes: [],
    allowedEgressPrefixes: [],
    blockPrivateAddresses: false,
    reversePathFiltering: false,
    allowedDestinations: [],
  },
  extensionHeaders: {
    mode: "ALLOW_ALL",
    allowedTypes: [],
    maxChainLength: 0,
    fragmentPolicy: "ALLOW",
  },
  isolation: {
    customerVlan: 0,
    additionalVlans: [],
    networkNamespace: "",
    bridgeInterface: "",
    interTenantPolicy: "BLOCK_ALL",
    level: "strict",
    enableMldSnooping: true,
  },
  rateLimits: {
    maxPpsPerVm: 0,
    maxBandwidthPerVm: 0,
    maxConnectionsPerVm: 0,
    method: "TOKEN_BUCKET",
    burst: { packets: 0, durationMs: 0, recoveryS: 0 },
  },
  neighborDiscovery: { ndRateLimit: 0, icmpv6RateLimit: 0, multicastRateLimit: 0 },
  monitoring: {
    enableSecurityLogging: true,
    securityLogLevel: "INFO",
    enableMetrics: true,
    metricsIntervalS: 10,
    siem: { enabled: false, endpoint: "", logFormat: "JSON" },
  },
  compliance: {
    frameworks: [],
    dataRetentionDays: 90,
    audit: { enabled: true, logDestination: "", includePerformanceData: false, encryptLogs: true },
    encryption: {
      requireTls: false,
      minTlsVersion: "1.2",
      requireEncryptionAtRest: false,
      allowedCiphers: [],
    },
  },
  rules: { ingress: [], egress: [], deepPacketInspection: false, logSecurityEvents: true },
};

const HIGH: PolicyLayer = {
  raGuard: {
    enabled: true,
    blockAllRa: true,
    maxRaRate: 0,
    blockConfig: {
      blockPrefixInfo: true,
      blockMtuOptions: true,
      blockRouteInfo: true,
      blockRdnss: true,
    },
  },
  sourceValidation: {
    sourceGuard: true,
    strictIngress: true,
    strictEgress: true,
    blockPrivateAddresses: true,
    reversePathFiltering: true,
  },
  // Hop-by-hop stays allowed: MLD reports carry a Router Alert in it. Routing and
  // destination-options headers are refused; fragments are reassembled before checks.
  extensionHeaders: {
    mode: "SELECTIVE",
    allowedTypes: [0, 44],
    maxChainLength: 3,
    fragmentPolicy: "REASSEMBLE",
  },
  isolation: { interTenantPolicy: "BLOCK_ALL", level: "strict", enableMldSnooping: true },
  rateLimits: {
    maxPpsPerVm: 10_000,
    maxBandwidthPerVm: 1_073_741_824,
    maxConnectionsPerVm: 10_000,
    method: "TOKEN_BUCKET",
    burst: { packets: 1_000, durationMs: 100, recoveryS: 1 },
  },
  neighborDiscovery: { ndRateLimit: 100, icmpv6RateLimit: 100, multicastRateLimit: 50 },
  monitoring: { enableSecurityLogging: true, securityLogLevel: "INFO", enableMetrics: true },
};

const MEDIUM: PolicyLayer = {
  raGuard: { enabled: true, blockAllRa: true, maxRaRate: 0 },
  sourceValidation: { sourceGuard: true, reversePathFiltering: true },
  extensionHeaders: {
    mode: "SELECTIVE",
    allowedTypes: [0, 44, 60],
    maxChainLength: 6,
    fragmentPolicy: "ALLOW",
  },
  isolation: { interTenantPolicy: "BLOCK_ALL", level: "strict" },
  rateLimits: {
    maxPpsPerVm: 50_000,
    maxConnectionsPerVm: 50_000,
    method: "TOKEN_BUCKET",
    burst: { packets: 5_000, durationMs: 100, recoveryS: 1 },
  },
  neighborDiscovery: { ndRateLimit: 500, icmpv6RateLimit: 500, multicastRateLimit: 200 },
  monitoring: { enableSecurityLogging: true, securityLogLevel: "WARN" },
};

// Even for development, a VM must not be able to hurt its neighbours: rogue RAs and
// spoofed sources stay blocked.
const LOW: PolicyLayer = {
  raGuard: { enabled: true, blockAllRa: true },
  sourceValidation: { sourceGuard: true },
  extensionHeaders: { mode: "ALLOW_ALL", fragmentPolicy: "ALLOW" },
  monitoring: { securityLogLevel: "WARN" },
};

const PROFILE_LAYERS: Record<SecurityProfileName, PolicyLayer> = {
  HIGH,
  MEDIUM,
  LOW,
  // CUSTOM adds nothing: only what the tenant and the request set, over DEFAULT_POLICY.
  CUSTOM: {},
};

export function profileLayer(profile: SecurityProfileName): PolicyLayer {
  return PROFILE_LAYERS[profile];
}
