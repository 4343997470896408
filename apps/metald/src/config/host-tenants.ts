// The tenants a host configuration declares (customer_configs), each with its effective settings.
import type { SecurityProfileName } from "@metald/core";
import type { HostConfig, SecuritySections, TenantTier } from "./host-config-schema.js";

export interface HostTenant {
  id: string;
  tier: TenantTier | undefined;
  profile: SecurityProfileName;
  vlan: number | undefined;
  prefix: string | undefined;
  bridge: string | undefined;
  /** Bridges metald did not create that the operator lets this tenant's VMs use. */
  hostBridges: string[];
  namespace: string | undefined;
  /** Host-wide sections, then default_security, then the tenant's own: later values win. */
  security: SecuritySections;
}

const SECTIONS = [
  "ra_guard",
  "source_validation",
  "extension_headers",
  "isolation",
  "rate_limits",
  "monitoring",
  "compliance",
] as const satisfies readonly (keyof SecuritySections)[];

/** The tenants in file order; a single-tenant file (no customer_configs) has none. */
export function hostTenants(config: HostConfig): HostTenant[] {
  const ipv6 = config.metald.network.ipv6;
  const hostWide = pickSections(ipv6);
  const defaults = overlay(hostWide, ipv6.default_security ?? {});
  return Object.entries(ipv6.customer_configs ?? {}).map(([id, customer]) => {
    const security = overlay(defaults, pickSections(customer));
    return {
      id,
      tier: customer.tier,
      profile: ipv6.security_profile.toUpperCase() as SecurityProfileName,
      vlan: security.isolation?.customer_vlan,
      prefix: customer.prefix,
      bridge: security.isolation?.bridge_interface,
      hostBridges: customer.host_bridges ?? [],
      namespace: security.isolation?.network_namespace,
      security,
    };
  });
}

function pickSections(source: SecuritySections): SecuritySections {
  const picked: Record<string, unknown> = {};
  for (const name of SECTIONS) if (source[name] !== undefined) picked[name] = source[name];
  return picked as SecuritySections;
}

// Mappings merge key by key; lists and scalars replace, as policy layers do in @metald/core.
function overlay<T>(base: T, top: T): T {
  if (!isMapping(base) || !isMapping(top)) return top === undefined ? base : top;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(top)) {
    if (value !== undefined) merged[key] = overlay(merged[key], value);
  }
  return merged as T;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
