// The effective IPv6 security policy of one VM interface: every control with a concrete value.

export type SecurityProfileName = "HIGH" | "MEDIUM" | "LOW" | "CUSTOM";
export type ExtensionHeaderMode = "ALLOW_ALL" | "BLOCK_ALL" | "SELECTIVE";
export type FragmentPolicy = "ALLOW" | "BLOCK" | "REASSEMBLE";
export type InterTenantPolicy = "BLOCK_ALL" | "ALLOW_ALL" | "SELECTIVE";
export type RateLimitMethod = "TOKEN_BUCKET" | "LEAKY_BUCKET" | "SLIDING_WINDOW";
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "CRITICAL";
export type ComplianceFramework = "SOC2" | "PCI_DSS" | "GDPR" | "HIPAA" | "ISO27001";
export type TenantIsolationLevel = "strict" | "moderate" | "none";

export interface SecurityPolicy {
  raGuard: {
    enabled: boolean;
    blockAllRa: boolean;
    allowedRouters: string[];
    /** Router advertisements per minute from allowed routers; 0: no limit. */
    maxRaRate: number;
    blockConfig: {
      blockPrefixInfo: boolean;
      blockMtuOptions: boolean;
      blockRouteInfo: boolean;
      blockRdnss: boolean;
    };
  };
  sourceValidation: {
    /** The VM may send only from its own addresses, its link-local and :: (DAD). */
    sourceGuard: boolean;
    strictIngress: boolean;
    strictEgress: boolean;
    allowedIngressPrefixes: string[];
    allowedEgressPrefixes: string[];
    blockPrivateAddresses: boolean;
    reversePathFiltering: boolean;
    allowedDestinations: string[];
  };
  extensionHeaders: {
    mode: ExtensionHeaderMode;
    allowedTypes: number[];
    /** 0: no limit. */
    maxChainLength: number;
    fragmentPolicy: FragmentPolicy;
  };
  isolation: {
    /** 0: untagged. */
    customerVlan: number;
    additionalVlans: number[];
    networkNamespace: string;
    bridgeInterface: string;
    interTenantPolicy: InterTenantPolicy;
    level: TenantIsolationLevel;
    enableMldSnooping: boolean;
  };
  rateLimits: {
    /** 0 in any limit: no limit. */
    maxPpsPerVm: number;
    /** Bytes per second. */
    maxBandwidthPerVm: number;
    maxConnectionsPerVm: number;
    method: RateLimitMethod;
    burst: { packets: number; durationMs: number; recoveryS: number };
  };
  neighborDiscovery: {
    /** Packets per second; 0: no limit. */
    ndRateLimit: number;
    icmpv6RateLimit: number;
    multicastRateLimit: number;
  };
  monitoring: {
    enableSecurityLogging: boolean;
    securityLogLevel: LogLevel;
    enableMetrics: boolean;
    metricsIntervalS: number;
    siem: { enabled: boolean; endpoint: string; logFormat: "JSON" | "CEF" | "LEEF" };
  };
  compliance: {
    frameworks: ComplianceFramework[];
    dataRetentionDays: number;
    audit: {
      enabled: boolean;
      logDestination: string;
      includePerformanceData: boolean;
      encryptLogs: boolean;
    };
    encryption: {
      requireTls: boolean;
      minTlsVersion: string;
      requireEncryptionAtRest: boolean;
      allowedCiphers: string[];
    };
  };
  rules: {
    ingress: string[];
    egress: string[];
    deepPacketInspection: boolean;
    logSecurityEvents: boolean;
  };
}

/** One layer of policy: only the values that layer sets. Lists replace, never merge. */
export type PolicyLayer = DeepPartial<SecurityPolicy>;

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object
      ? DeepPartial<T[K]>
      : T[K];
};

/** Extension header numbers (RFC 8200 4 and the IANA registry). */
export const EXTENSION_HEADER_TYPES = {
  hopByHop: 0,
  routing: 43,
  fragment: 44,
  esp: 50,
  authentication: 51,
  destinationOptions: 60,
  mobility: 135,
  hip: 139,
  shim6: 140,
  experimental1: 253,
  experimental2: 254,
} as const;

export const ALL_EXTENSION_HEADER_TYPES: readonly number[] = Object.values(EXTENSION_HEADER_TYPES);
