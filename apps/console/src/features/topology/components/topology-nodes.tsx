// The topology's nodes as React Flow node types: tenant, bridge, VLAN, and the VM with its
// controls (its security profile), quarantine and open violations; a VM's name links to its page.
import { SecurityProfile, VmState } from "@metald/proto";
import { Link } from "@tanstack/react-router";
import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { Badge } from "../../../shared/ui/badge";
import { IsolatedBadge, VmStateBadge } from "../../vms/components/vm-state-badge";
import type { TopologyNode } from "../api/topology-model";

export type TopologyFlowNode = Node<{ node: TopologyNode }>;

/** The VM's controls are its profile's (with any overrides the VM page shows). */
const PROFILE_CONTROLS: Partial<Record<SecurityProfile, string>> = {
  [SecurityProfile.HIGH]: "Controls: high profile",
  [SecurityProfile.MEDIUM]: "Controls: medium profile",
  [SecurityProfile.LOW]: "Controls: low profile",
  [SecurityProfile.CUSTOM]: "Controls: custom",
};

function Ports() {
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </>
  );
}

export function TopologyNodeView({ data }: NodeProps<TopologyFlowNode>) {
  const n = data.node;
  switch (n.kind) {
    case "tenant":
      return (
        <div className="topology-node topology-node--tenant">
          <Ports />
          <span className="topology-node__kind">Tenant</span>
          <Link to="/tenants/$tenantId" params={{ tenantId: n.tenantId }}>
            {n.name}
          </Link>
        </div>
      );
    case "bridge":
      return (
        <div className="topology-node topology-node--bridge">
          <Ports />
          <span className="topology-node__kind">Bridge</span>
          <span className="mono">{n.bridge}</span>
        </div>
      );
    case "vlan":
      return (
        <div className="topology-node topology-node--vlan">
          <Ports />
          <span className="topology-node__kind">VLAN</span>
          {n.vlanId === 0 ? "untagged" : n.vlanId}
        </div>
      );
    case "vm":
      return (
        <div
          className={`topology-node topology-node--vm${n.vm.isolated ? " topology-node--isolated" : ""}`}
        >
          <Ports />
          <Link to="/vms/$vmId" params={{ vmId: n.vm.vmId }} className="mono">
            {n.vm.vmId}
          </Link>
          <span className="topology-node__badges">
            {n.vm.state !== VmState.UNSPECIFIED && <VmStateBadge state={n.vm.state} />}
            {n.vm.isolated && <IsolatedBadge />}
            {n.violations > 0 && (
              <Badge tone="danger">
                {n.violations} violation{n.violations === 1 ? "" : "s"}
              </Badge>
            )}
          </span>
          <span className="topology-node__controls">
            {PROFILE_CONTROLS[n.vm.securityProfile] ?? "Controls: default profile"}
          </span>
        </div>
      );
  }
}
