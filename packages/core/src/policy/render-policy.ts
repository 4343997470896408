// Effective policy → the API's messages (what GetVm and GetVmNetworkSecurity return).
import { create } from "@bufbuild/protobuf";
import {
  ComplianceFramework,
  ExtensionHeaderMode,
  FragmentPolicy,
  InterfaceIPv6ConfigSchema,
  InterfaceIPv6SecuritySchema,
  InterTenantPolicy,
  type IPv6SecurityConfig,
  IPv6SecurityConfigSchema,
  LogLevel,
  type NetworkInterface,
  NetworkInterfaceSchema,
  RateLimitMethod,
  SecurityPolicySchema,
  SecurityProfile,
} from "@metald/proto";
import type { SecurityPolicy, SecurityProfileName } from "./security-policy.js";
import { EXTENSION_HEADER_TYPES } from "./security-policy.js";
import type { InterfaceSpec } from "./vm-spec.js";

export function profileToProto(profile: SecurityProfileName): SecurityProfile {
  return SecurityProfile[profile];
}

export function toIPv6SecurityConfig(
  policy: SecurityPolicy,
  profile: SecurityProfileName,
): IPv6SecurityConfig {
  const {
    raGuard,
    sourceValidation: sv,
    extensionHeaders: eh,
    isolation,
    rateLimits: rl,
    monitoring,
    compliance,
  } = policy;
  return create(IPv6SecurityConfigSchema, {
    profile: profileToProto(profile),
    raGuard: {
      enabled: raGuard.enabled,
      blockAllRa: raGuard.blockAllRa,
      allowedRouters: raGuard.allowedRouters,
      maxRaRate: raGuard.maxRaRate,
      blockConfig: { ...raGuard.blockConfig },
    },
    sourceValidation: {
      strictIngress: sv.strictIngress,
      strictEgress: sv.strictEgress,
      allowedIngressPrefixes: sv.allowedIngressPrefixes,
      allowedEgressPrefixes: sv.allowedEgressPrefixes,
      blockPrivateAddresses: sv.blockPrivateAddresses,
      reversePathFiltering: sv.reversePathFiltering,
      sourceGuard: sv.sourceGuard,
      allowedDestinations: sv.allowedDestinations,
    },
    extensionHeaders: {
      mode: ExtensionHeaderMode[eh.mode],
      allowedTypes: eh.allowedTypes,
      maxChainLength: eh.maxChainLength,
      fragmentPolicy: FragmentPolicy[eh.fragmentPolicy],
    },
    isolation: {
      customerVlan: isolation.customerVlan,
      additionalVlans: isolation.additionalVlans,
      networkNamespace: isolation.networkNamespace,
      bridgeInterface: isolation.bridgeInterface,
      interTenantPolicy: InterTenantPolicy[isolation.interTenantPolicy],
      enableMldSnooping: isolation.enableMldSnooping,
    },
    rateLimits: {
      maxPpsPerVm: rl.maxPpsPerVm,
      maxBandwidthPerVm: BigInt(rl.maxBandwidthPerVm),
      maxConnectionsPerVm: rl.maxConnectionsPerVm,
      method: RateLimitMethod[rl.method],
      burstConfig: {
        burstPackets: rl.burst.packets,
        burstDurationMs: rl.burst.durationMs,
        recoveryTimeS: rl.burst.recoveryS,
      },
    },
    neighborDiscovery: { ...policy.neighborDiscovery },
    monitoring: {
      enableSecurityLogging: monitoring.enableSecurityLogging,
      securityLogLevel: LogLevel[monitoring.securityLogLevel],
      enableMetrics: monitoring.enableMetrics,
      metricsIntervalS: monitoring.metricsIntervalS,
      siemConfig: { ...monitoring.siem },
    },
    compliance: {
      frameworks: compliance.frameworks.map((f) => ComplianceFramework[f]),
      dataRetentionDays: compliance.dataRetentionDays,
      auditConfig: { ...compliance.audit },
      encryption: { ...compliance.encryption },
    },
  });
}

function blocks(policy: SecurityPolicy, type: number): boolean {
  const eh = policy.extensionHeaders;
  if (eh.mode === "ALLOW_ALL") return false;
  if (eh.mode === "BLOCK_ALL") return true;
  return !eh.allowedTypes.includes(type);
}

/** One interface in the interface form, every control filled in from the effective policy. */
export function toInterfaceView(
  iface: InterfaceSpec,
  policy: SecurityPolicy,
  tapDevice: string,
): NetworkInterface {
  const [first, ...rest] = iface.addresses.map((a) => `${a.address}/${a.prefixLength}`);
  const nd = policy.neighborDiscovery;
  return create(NetworkInterfaceSchema, {
    id: iface.id,
    interfaceType: iface.type,
    bridgeName: policy.isolation.bridgeInterface,
    vlanId: policy.isolation.customerVlan === 0 ? "" : String(policy.isolation.customerVlan),
    macAddress: iface.macAddress,
    mtu: iface.mtu,
    tapDevice,
    ipv6: create(InterfaceIPv6ConfigSchema, {
      address: first ?? "",
      additionalAddresses: rest,
      gateway: iface.gateway,
      dnsServers: iface.dnsServers,
      enablePrivacyExtensions: iface.enablePrivacyExtensions,
      enableStablePrivacy: iface.enableStablePrivacy,
      tempValidLifetime: iface.tempValidLifetime,
      security: create(InterfaceIPv6SecuritySchema, {
        enableRaGuard: policy.raGuard.enabled,
        allowedRaSources: policy.raGuard.allowedRouters,
        enableSourceGuard: policy.sourceValidation.sourceGuard,
        strictSourceValidation:
          policy.sourceValidation.strictIngress && policy.sourceValidation.strictEgress,
        blockHopByHop: blocks(policy, EXTENSION_HEADER_TYPES.hopByHop),
        blockRoutingHeader: blocks(policy, EXTENSION_HEADER_TYPES.routing),
        blockFragmentHeader:
          policy.extensionHeaders.fragmentPolicy === "BLOCK" ||
          blocks(policy, EXTENSION_HEADER_TYPES.fragment),
        blockDestinationOptions: blocks(policy, EXTENSION_HEADER_TYPES.destinationOptions),
        ndRateLimit: nd.ndRateLimit,
        icmpv6RateLimit: nd.icmpv6RateLimit,
        raRateLimit: policy.raGuard.maxRaRate,
        enableMldSnooping: policy.isolation.enableMldSnooping,
        multicastRateLimit: nd.multicastRateLimit,
      }),
    }),
    securityPolicy: create(SecurityPolicySchema, {
      ingressRules: policy.rules.ingress,
      egressRules: policy.rules.egress,
      enableDeepPacketInspection: policy.rules.deepPacketInspection,
      logSecurityEvents: policy.rules.logSecurityEvents,
      bandwidthLimitMbps: Math.floor(policy.rateLimits.maxBandwidthPerVm / 125_000),
      packetRateLimit: policy.rateLimits.maxPpsPerVm,
      tenantIsolationLevel: policy.isolation.level,
      allowedDestinations: policy.sourceValidation.allowedDestinations,
    }),
  });
}
