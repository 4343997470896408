// The examples-guide form (network[].ipv6.security and network[].security_policy) → one
// policy layer plus extension-header switches, checking each field.
import type { InterfaceIPv6Security, SecurityPolicy as ProtoSecurityPolicy } from "@metald/proto";
import { checkLimit, checkListLength, checkUnicastAddress } from "./field-checks.js";
import { FieldError } from "./field-error.js";
import { BOUND_REASONS, BYTES_PER_MBIT, LIMITS } from "./limits.js";
import { checkRuleList } from "./rule-text.js";
import { checkPrefixList } from "./security-config-layer.js";
import type { InterTenantPolicy, PolicyLayer, TenantIsolationLevel } from "./security-policy.js";

/** The four block_* switches: true removes a header type, false allows it again. */
export interface ExtensionHeaderSwitches {
  hopByHop?: boolean;
  routing?: boolean;
  fragment?: boolean;
  destinationOptions?: boolean;
}

export const ISOLATION_LEVELS: Record<TenantIsolationLevel, InterTenantPolicy> = {
  strict: "BLOCK_ALL",
  moderate: "SELECTIVE",
  none: "ALLOW_ALL",
};

export function interfaceSecurityLayer(
  security: InterfaceIPv6Security,
  path: string,
): {
  layer: PolicyLayer;
  switches: ExtensionHeaderSwitches;
} {
  const sources = security.allowedRaSources.map((s, i) =>
    checkUnicastAddress(s, `${path}.allowed_ra_sources[${i}]`),
  );
  checkListLength(sources, LIMITS.listEntries, `${path}.allowed_ra_sources`);
  security.allowedRaSources = sources;
  const rate = (value: number | undefined, field: string, max: number, unit: string) =>
    value === undefined ? undefined : checkLimit(value, max, `${path}.${field}`, unit);
  const strict = security.strictSourceValidation;
  const layer: PolicyLayer = {
    raGuard: {
      enabled: security.enableRaGuard,
      blockAllRa: sources.length > 0 ? false : undefined,
      allowedRouters: sources.length > 0 ? sources : undefined,
      maxRaRate: rate(security.raRateLimit, "ra_rate_limit", LIMITS.raPerMinute, "RAs/minute"),
    },
    sourceValidation: {
      sourceGuard: security.enableSourceGuard,
      strictIngress: strict,
      strictEgress: strict,
      reversePathFiltering: strict,
    },
    neighborDiscovery: {
      ndRateLimit: rate(security.ndRateLimit, "nd_rate_limit", LIMITS.ndPps, "packets/s"),
      icmpv6RateLimit: rate(
        security.icmpv6RateLimit,
        "icmpv6_rate_limit",
        LIMITS.ndPps,
        "packets/s",
      ),
      multicastRateLimit: rate(
        security.multicastRateLimit,
        "multicast_rate_limit",
        LIMITS.ndPps,
        "packets/s",
      ),
    },
    isolation: { enableMldSnooping: security.enableMldSnooping },
  };
  return {
    layer,
    switches: {
      hopByHop: security.blockHopByHop,
      routing: security.blockRoutingHeader,
      fragment: security.blockFragmentHeader,
      destinationOptions: security.blockDestinationOptions,
    },
  };
}

export function securityPolicyLayer(policy: ProtoSecurityPolicy, path: string): PolicyLayer {
  let level: TenantIsolationLevel | undefined;
  if (policy.tenantIsolationLevel !== "") {
    const text = policy.tenantIsolationLevel.toLowerCase();
    if (!(text in ISOLATION_LEVELS)) {
      throw new FieldError(
        `${path}.tenant_isolation_level`,
        `${JSON.stringify(policy.tenantIsolationLevel)} is not an isolation level; use strict, moderate or none`,
      );
    }
    level = text as TenantIsolationLevel;
  }
  const ingress = checkRuleList(policy.ingressRules, `${path}.ingress_rules`);
  const egress = checkRuleList(policy.egressRules, `${path}.egress_rules`);
  const destinations = checkPrefixList(policy.allowedDestinations, `${path}.allowed_destinations`);
  policy.allowedDestinations = destinations;
  const mbps =
    policy.bandwidthLimitMbps === undefined
      ? undefined
      : checkLimit(
          policy.bandwidthLimitMbps,
          LIMITS.bandwidthMbps,
          `${path}.bandwidth_limit_mbps`,
          "Mbit/s",
          BOUND_REASONS.bandwidth,
        );
  return {
    rules: {
      ingress: ingress.length > 0 ? ingress : undefined,
      egress: egress.length > 0 ? egress : undefined,
      deepPacketInspection: policy.enableDeepPacketInspection,
      logSecurityEvents: policy.logSecurityEvents,
    },
    rateLimits: {
      maxBandwidthPerVm: mbps === undefined ? undefined : mbps * BYTES_PER_MBIT,
      maxPpsPerVm:
        policy.packetRateLimit === undefined
          ? undefined
          : checkLimit(
              policy.packetRateLimit,
              LIMITS.ppsPerVm,
              `${path}.packet_rate_limit`,
              "packets/s",
            ),
    },
    isolation:
      level === undefined ? undefined : { level, interTenantPolicy: ISOLATION_LEVELS[level] },
    sourceValidation: { allowedDestinations: destinations.length > 0 ? destinations : undefined },
  };
}
