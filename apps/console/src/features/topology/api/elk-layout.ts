// Lays the topology out with ELK's layered algorithm in a web worker, so a large host does not
// block the page; elkjs is imported on first use and stays in the topology page's chunks.
import type { Topology, TopologyNode } from "./topology-model";

export interface Position {
  x: number;
  y: number;
}

export type LayoutTopology = (topology: Topology) => Promise<Map<string, Position>>;

export const NODE_SIZE: Record<TopologyNode["kind"], { width: number; height: number }> = {
  tenant: { width: 180, height: 56 },
  bridge: { width: 180, height: 56 },
  vlan: { width: 150, height: 48 },
  vm: { width: 260, height: 96 },
};

let elk: Promise<{ layout: (graph: never) => Promise<unknown> }> | undefined;

async function loadElk() {
  elk ??= Promise.all([
    import("elkjs/lib/elk-api.js"),
    import("elkjs/lib/elk-worker.min.js?url"),
  ]).then(([api, worker]) => new api.default({ workerUrl: worker.default }) as never);
  return elk;
}

export const layoutWithElk: LayoutTopology = async (topology) => {
  const engine = await loadElk();
  const graph = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "24",
      "elk.layered.spacing.nodeNodeBetweenLayers": "48",
    },
    children: topology.nodes.map((n) => ({ id: n.id, ...NODE_SIZE[n.kind] })),
    edges: topology.edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const laid = (await engine.layout(graph as never)) as {
    children?: { id: string; x?: number; y?: number }[];
  };
  return new Map((laid.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
};
