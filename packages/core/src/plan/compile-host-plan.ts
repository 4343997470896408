// Compiles a VM's interfaces and effective policies into its host plan (pure, deterministic).
import type { SecurityPolicy } from "../policy/security-policy.js";
import type { InterfaceSpec } from "../policy/vm-spec.js";
import { tapName, tenantBridgeName } from "./device-names.js";
import type { HostPlan, LinkStep, SysctlStep } from "./host-plan.js";

export interface PlannedInterface {
  spec: InterfaceSpec;
  policy: SecurityPolicy;
}

export function compileHostPlan(
  vmId: string,
  tenantId: string,
  interfaces: PlannedInterface[],
): HostPlan {
  const links: LinkStep[] = [];
  const sysctls: SysctlStep[] = [];
  const bridges = new Set<string>();
  const namespaces = new Set<string>();
  for (const [index, { spec, policy }] of interfaces.entries()) {
    const bridge = policy.isolation.bridgeInterface || tenantBridgeName(tenantId);
    if (!bridges.has(bridge)) {
      bridges.add(bridge);
      links.push({ kind: "bridge", name: bridge, mldSnooping: policy.isolation.enableMldSnooping });
      // The host never takes its own configuration from a tenant segment.
      sysctls.push({ key: `net.ipv6.conf.${bridge}.accept_ra`, value: "0" });
      sysctls.push({ key: `net.ipv6.conf.${bridge}.accept_redirects`, value: "0" });
    }
    const ns = policy.isolation.networkNamespace;
    if (ns && !namespaces.has(ns)) {
      namespaces.add(ns);
      links.push({ kind: "namespace", name: ns });
    }
    const tap = tapName(vmId, index);
    links.push({
      kind: "tap",
      name: tap,
      bridge,
      mtu: spec.mtu,
      vmInterface: spec.id,
      vlan: policy.isolation.customerVlan,
    });
    // The host end of a VM's link carries no host addresses and accepts nothing from the guest.
    sysctls.push({ key: `net.ipv6.conf.${tap}.accept_ra`, value: "0" });
    sysctls.push({ key: `net.ipv6.conf.${tap}.accept_redirects`, value: "0" });
    sysctls.push({ key: `net.ipv6.conf.${tap}.accept_source_route`, value: "0" });
    sysctls.push({ key: `net.ipv6.conf.${tap}.autoconf`, value: "0" });
  }
  return { vmId, tenantId, links, sysctls };
}
