// Which bridges a VM may be put on: one metald created (recorded in host_bridges), one the
// operator lists for the VM's tenant in the host configuration, or a name no link on the host
// has yet (metald then creates it). Any other existing link (an operator's bridge, docker0, an
// uplink, lo) is refused before anything is stored, so metald never enslaves a port to it,
// writes its sysctls or deletes it.
import { FieldError, type HostPlan, type VmSpec } from "@metald/core";
import type { VmConfig } from "@metald/proto";

export interface BridgeAccessOptions {
  /** Whether metald created the bridge. */
  owns(bridge: string): Promise<boolean>;
  /** Bridges the host configuration gives the tenant (read at every check: SIGHUP reloads). */
  listedFor(tenantId: string): ReadonlySet<string>;
  /** Whether a link of this name exists where metald puts its bridges. */
  linkExists(name: string): Promise<boolean>;
}

export interface BridgeVm {
  spec: VmSpec;
  config: VmConfig;
  plan: HostPlan;
}

export interface BridgeAccess {
  /**
   * Throws permission_denied naming the field of the first bridge the VM may not use. `kept`:
   * bridges the VM is on already (a change of its configuration keeps them).
   */
  check(vm: BridgeVm, kept?: ReadonlySet<string>): Promise<void>;
}

/** The request field that chose interface `index`'s bridge, or where one would be named. */
function bridgeField(vm: BridgeVm, index: number): string {
  if (vm.config.securityOverrides?.isolation?.bridgeInterface !== undefined)
    return "config.security_overrides.isolation.bridge_interface";
  return vm.spec.form === "network"
    ? `config.network[${index}].bridge_name`
    : "config.ipv6_config.security.isolation.bridge_interface";
}

export function createBridgeAccess(options: BridgeAccessOptions): BridgeAccess {
  return {
    async check(vm, kept = new Set()) {
      const tenant = vm.spec.tenantId;
      const listed = options.listedFor(tenant);
      const seen = new Set<string>();
      for (const [index, port] of vm.plan.ports.entries()) {
        const bridge = port.bridge;
        if (seen.has(bridge)) continue;
        seen.add(bridge);
        if (kept.has(bridge) || listed.has(bridge)) continue;
        // metald records a bridge before creating it and forgets it after deleting it: asking
        // again once the link is seen closes the race with a create or delete meanwhile.
        if (await options.owns(bridge)) continue;
        if (!(await options.linkExists(bridge)) || (await options.owns(bridge))) continue;
        const named = vm.spec.interfaces[index]?.requestLayer.isolation?.bridgeInterface;
        const what =
          named === undefined
            ? `is not given, and tenant ${tenant}'s default bridge "${bridge}"`
            : JSON.stringify(bridge);
        throw new FieldError(
          bridgeField(vm, index),
          `${what} is a link on this host that metald did not create; name a bridge that does not exist yet (metald creates it) or one the operator lists for tenant ${tenant} (customer_configs.${tenant}.host_bridges)`,
          "permission_denied",
        );
      }
    },
  };
}
