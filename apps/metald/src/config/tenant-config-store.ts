// The tenants of the host configuration file and their policy layers, replaceable as a whole
// (SIGHUP): readers always see one complete configuration, old or new.
import { type PolicyLayer, securityConfigLayer } from "@metald/core";
import type { HostConfig } from "./host-config-schema.js";
import { type HostTenant, hostTenants } from "./host-tenants.js";
import { securitySectionsToProto } from "./security-sections.js";

export interface TenantConfig {
  tenant: HostTenant;
  layer: PolicyLayer;
}

export interface TenantConfigStore {
  layer(tenantId: string): PolicyLayer | undefined;
  tenants(): TenantConfig[];
  /** Checks every tenant's settings first; on any problem nothing is replaced. */
  replace(config: HostConfig): void;
  onChange(listener: (tenants: TenantConfig[]) => void): void;
}

export function compileTenants(config: HostConfig): TenantConfig[] {
  return hostTenants(config).map((tenant) => ({
    tenant,
    layer: securityConfigLayer(
      securitySectionsToProto(tenant.security as Record<string, unknown>),
      `metald.network.ipv6.customer_configs.${tenant.id}`,
    ).layer,
  }));
}

export function createTenantConfigStore(config: HostConfig): TenantConfigStore {
  let current = compileTenants(config);
  let byId = new Map(current.map((t) => [t.tenant.id, t]));
  const listeners: ((tenants: TenantConfig[]) => void)[] = [];
  return {
    layer: (tenantId) => byId.get(tenantId)?.layer,
    tenants: () => current,
    replace(next) {
      const compiled = compileTenants(next);
      current = compiled;
      byId = new Map(compiled.map((t) => [t.tenant.id, t]));
      for (const listener of listeners) listener(compiled);
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
