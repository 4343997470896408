// The topology as a graph: tenant → bridge → VLAN → VM. The bridge and VLAN are the tenant's
// (one bridge per tenant, its VLAN tag when the host has 802.1Q); a VM hangs under its tenant's.
// Pure: the page lays it out and draws it.
import type { ComplianceViolation, Tenant, VmInfo } from "@metald/proto";

export type TopologyNode =
  | { kind: "tenant"; id: string; tenantId: string; name: string }
  | { kind: "bridge"; id: string; bridge: string }
  | { kind: "vlan"; id: string; vlanId: number }
  | {
      kind: "vm";
      id: string;
      vm: VmInfo;
      /** Open compliance violations of this VM. */
      violations: number;
    };

export interface TopologyEdge {
  id: string;
  source: string;
  target: string;
}

export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  /** More VMs than one page: the first ones are drawn. */
  truncated: boolean;
}

export function buildTopology(
  tenants: readonly Tenant[],
  vms: readonly VmInfo[],
  violations: readonly ComplianceViolation[],
  options: { truncated?: boolean } = {},
): Topology {
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const open = new Map<string, number>();
  for (const v of violations) open.set(v.vmId, (open.get(v.vmId) ?? 0) + 1);
  const known = new Map(tenants.map((t) => [t.id, t]));
  // VMs of a tenant the caller cannot list (or that has no record) still get their own branch.
  for (const vm of vms)
    if (!known.has(vm.tenantId))
      known.set(vm.tenantId, { id: vm.tenantId, name: "", bridgeName: "", vlanId: 0 } as Tenant);
  const link = (source: string, target: string) =>
    edges.push({ id: `${source}->${target}`, source, target });
  for (const t of known.values()) {
    const tenant = `tenant:${t.id}`;
    const bridge = `bridge:${t.id}`;
    const vlan = `vlan:${t.id}`;
    nodes.push({ kind: "tenant", id: tenant, tenantId: t.id, name: t.name || t.id });
    nodes.push({ kind: "bridge", id: bridge, bridge: t.bridgeName || "(default bridge)" });
    nodes.push({ kind: "vlan", id: vlan, vlanId: t.vlanId });
    link(tenant, bridge);
    link(bridge, vlan);
  }
  for (const vm of vms) {
    const id = `vm:${vm.vmId}`;
    nodes.push({ kind: "vm", id, vm, violations: open.get(vm.vmId) ?? 0 });
    link(`vlan:${vm.tenantId}`, id);
  }
  return { nodes, edges, truncated: options.truncated ?? false };
}
