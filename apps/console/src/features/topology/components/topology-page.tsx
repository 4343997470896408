// The topology page: tenants → bridges → VLANs → VMs as a graph (React Flow, laid out by ELK in a
// worker), each VM marked with its controls, quarantine and open violations; a VM's name opens
// its page. Pan and zoom with the controls, the mouse or touch; every link is a tab stop.
import { Background, Controls, type Edge, ReactFlow, ReactFlowProvider } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useNavigate } from "@tanstack/react-router";
import { useEffect, useMemo, useState } from "react";
import { PageHeader } from "../../../shared/ui/page-header";
import { EmptyState, ErrorState, LoadingState } from "../../../shared/ui/states";
import { useCaller } from "../../auth/api/get-host-info";
import { type LayoutTopology, layoutWithElk, type Position } from "../api/elk-layout";
import { TOPOLOGY_LIMIT, useTopology } from "../api/load-topology";
import type { Topology } from "../api/topology-model";
import { type TopologyFlowNode, TopologyNodeView } from "./topology-nodes";

const NODE_TYPES = { topology: TopologyNodeView };

function TopologyGraph({ topology, layout }: { topology: Topology; layout: LayoutTopology }) {
  const [positions, setPositions] = useState<Map<string, Position>>();
  const [error, setError] = useState<unknown>();
  const navigate = useNavigate();
  useEffect(() => {
    let current = true;
    setError(undefined);
    layout(topology).then(
      (p) => current && setPositions(p),
      (e: unknown) => current && setError(e),
    );
    return () => {
      current = false;
    };
  }, [topology, layout]);
  const nodes = useMemo<TopologyFlowNode[]>(
    () =>
      topology.nodes.map((n) => ({
        id: n.id,
        type: "topology",
        position: positions?.get(n.id) ?? { x: 0, y: 0 },
        data: { node: n },
        draggable: false,
        selectable: false,
        focusable: false,
      })),
    [topology, positions],
  );
  const edges = useMemo<Edge[]>(
    () => topology.edges.map((e) => ({ ...e, focusable: false, selectable: false })),
    [topology],
  );
  if (error) return <ErrorState title="Could not lay out the topology" error={error} />;
  if (!positions) return <LoadingState label="Laying out the topology…" />;
  return (
    <div className="topology">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        minZoom={0.1}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        // A click anywhere on a VM opens it (the keyboard reaches the same page by its link).
        onNodeClick={(_, node) => {
          const n = node.data.node;
          if (n.kind === "vm") navigate({ to: "/vms/$vmId", params: { vmId: n.vm.vmId } });
        }}
        ariaLabelConfig={{ "controls.ariaLabel": "Zoom controls" }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

export function TopologyPage({ layout = layoutWithElk }: { layout?: LayoutTopology }) {
  const caller = useCaller();
  const topology = useTopology();
  const vmCount = topology.data?.nodes.filter((n) => n.kind === "vm").length ?? 0;
  return (
    <>
      <PageHeader
        title="Topology"
        subtitle={caller.tenantId ? `Tenant ${caller.tenantId}` : "Every tenant on this host"}
      />
      <section className="card" aria-labelledby="topology-title">
        <h2 id="topology-title">Tenants, bridges, VLANs and VMs</h2>
        {topology.isPending ? (
          <LoadingState label="Loading the topology…" />
        ) : topology.error || !topology.data ? (
          <ErrorState
            title="Could not load the topology"
            error={topology.error}
            onRetry={topology.refetch}
          />
        ) : topology.data.nodes.length === 0 ? (
          <EmptyState title="No tenants or VMs yet." />
        ) : (
          <div className="stack">
            <p>
              {vmCount} VM{vmCount === 1 ? "" : "s"}
              {topology.data.truncated && ` (the first ${TOPOLOGY_LIMIT} are drawn)`}. Each VM shows
              its state, its controls, whether it is isolated and its open violations.
            </p>
            <ReactFlowProvider>
              <TopologyGraph topology={topology.data} layout={layout} />
            </ReactFlowProvider>
          </div>
        )}
      </section>
    </>
  );
}
