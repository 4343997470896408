// Compiles a VM's interfaces and effective policies into its host plan (pure, deterministic).

import { portGuardOf } from "../bpf/port-guard.js";
import { formatCidr, networkOf, parseIpv6Cidr } from "../ipam/ipv6-address.js";
import { linkLocalFromMac } from "../ipam/link-local.js";
import { compileVmElements } from "../nft/vm-elements.js";
import type { SecurityPolicy } from "../policy/security-policy.js";
import type { InterfaceSpec } from "../policy/vm-spec.js";
import { guestNamespaceName, macAddressFor, tapName, tenantBridgeName } from "./device-names.js";
import type { HostPlan, LinkStep, MachinePlan, PortPlan, SysctlStep } from "./host-plan.js";

export interface PlannedInterface {
  spec: InterfaceSpec;
  policy: SecurityPolicy;
}

export interface PlanContext {
  vmId: string;
  tenantId: string;
  isolated: boolean;
  /** The tenant's packet mark (unique per tenant on the host); 0 leaves tenants unmarked. */
  tenantMark?: number;
  machine?: MachinePlan;
  /** Names the guest namespace after this scope too (see guestNamespaceName). */
  guestScope?: string;
}

export function compileHostPlan(context: PlanContext, interfaces: PlannedInterface[]): HostPlan {
  const { vmId, tenantId } = context;
  const links: LinkStep[] = [];
  const sysctls: SysctlStep[] = [];
  const ports: PortPlan[] = [];
  const bridges = new Set<string>();
  const namespaces = new Set<string>();
  for (const [index, { spec, policy }] of interfaces.entries()) {
    const bridge = policy.isolation.bridgeInterface || tenantBridgeName(tenantId);
    if (!bridges.has(bridge)) {
      bridges.add(bridge);
      links.push({ kind: "bridge", name: bridge, mldSnooping: policy.isolation.enableMldSnooping });
      // The host never takes its own configuration from a tenant segment.
      sysctls.push({ key: `net/ipv6/conf/${bridge}/accept_ra`, value: "0" });
      sysctls.push({ key: `net/ipv6/conf/${bridge}/accept_redirects`, value: "0" });
    }
    const ns = policy.isolation.networkNamespace;
    if (ns && !namespaces.has(ns)) {
      namespaces.add(ns);
      links.push({ kind: "namespace", name: ns });
    }
    const tap = tapName(vmId, index);
    const vlan = policy.isolation.customerVlan;
    links.push({ kind: "tap", name: tap, bridge, mtu: spec.mtu, vmInterface: spec.id, vlan });
    // The host end of a VM's link carries no host addresses and accepts nothing from the guest.
    for (const key of ["accept_ra", "accept_redirects", "accept_source_route", "autoconf"]) {
      sysctls.push({ key: `net/ipv6/conf/${tap}/${key}`, value: "0" });
    }
    const mac = spec.macAddress || macAddressFor(vmId, index);
    const guard = portGuardOf(policy);
    ports.push({
      name: tap,
      bridge,
      guestInterface: spec.id,
      mac,
      mtu: spec.mtu,
      addresses: spec.addresses.map((a) => `${a.address}/${a.prefixLength}`),
      linkLocal: linkLocalFromMac(mac),
      gateway: spec.gateway,
      vlan,
      ...(policy.isolation.additionalVlans.length > 0
        ? { taggedVlans: [...policy.isolation.additionalVlans] }
        : {}),
      ...(guard ? { guard } : {}),
    });
  }
  const { elements, rateClasses } = compileVmElements(
    ports.map((port, i) => ({
      name: port.name,
      addresses: port.addresses.map((a) => a.slice(0, a.indexOf("/"))),
      prefixes: port.addresses.map((a) => {
        const cidr = parseIpv6Cidr(a);
        return formatCidr(networkOf(cidr.value, cidr.prefixLength), cidr.prefixLength);
      }),
      linkLocal: port.linkLocal,
      policy: (interfaces[i] as PlannedInterface).policy,
    })),
    context.isolated,
    context.tenantMark ?? 0,
  );
  return {
    vmId,
    tenantId,
    guestNamespace: guestNamespaceName(vmId, context.guestScope),
    links,
    sysctls,
    ports,
    elements,
    rateClasses,
    machine: context.machine,
  };
}
