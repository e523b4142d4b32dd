/**
 * Auto-layout with ELK's layered algorithm (elkjs), the second option next to dagre
 * (layout.ts): left to right, layers by the wires, crossings minimised and wires routed
 * orthogonally around nodes. elkjs is large (~1.5 MB), so it is loaded on first use, in
 * its own chunk, and runs off the critical path of opening a workflow.
 */
import type { Position } from "../api/types";
import type { Wire } from "./rules";

type Elk = { layout(graph: ElkGraph): Promise<ElkGraph> };
interface ElkGraph {
  id: string;
  layoutOptions?: Record<string, string>;
  children?: { id: string; width: number; height: number; x?: number; y?: number }[];
  edges?: { id: string; sources: string[]; targets: string[] }[];
}

let elk: Promise<Elk> | null = null;

function loadElk(): Promise<Elk> {
  elk ??= import("elkjs/lib/elk.bundled.js").then((module) => {
    const ELK = (module.default ?? module) as unknown as new () => Elk;
    return new ELK();
  });
  return elk;
}

export const ELK_OPTIONS: Record<string, string> = {
  "elk.algorithm": "layered",
  "elk.direction": "RIGHT",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.spacing.nodeNode": "30",
  "elk.layered.spacing.nodeNodeBetweenLayers": "80",
  "elk.layered.crossingMinimization.strategy": "LAYER_SWEEP",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  "elk.padding": "[top=20,left=20,bottom=20,right=20]",
};

/** Top-left positions of the nodes, laid out by ELK layered (wires between unknown nodes ignored). */
export async function layoutElkLayered(
  nodes: readonly { id: string; width?: number; height?: number }[],
  edges: readonly Wire[],
): Promise<Map<string, Position>> {
  const ids = new Set(nodes.map((n) => n.id));
  const graph: ElkGraph = {
    id: "workflow",
    layoutOptions: ELK_OPTIONS,
    children: nodes.map((n) => ({ id: n.id, width: n.width ?? 200, height: n.height ?? 56 })),
    edges: edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  };
  const laid = await (await loadElk()).layout(graph);
  const positions = new Map<string, Position>();
  for (const child of laid.children ?? []) positions.set(child.id, { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) });
  return positions;
}
