/** Auto-layout: left-to-right layered placement of the workflow's nodes with dagre. */
import dagre from "@dagrejs/dagre";
import type { Position } from "../api/types";
import type { Wire } from "./rules";

export function layoutLeftToRight(
  nodes: readonly { id: string; width?: number; height?: number }[],
  edges: readonly Wire[],
): Map<string, Position> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 80, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: node.width ?? 180, height: node.height ?? 56 });
  for (const edge of edges) if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  const positions = new Map<string, Position>();
  for (const node of nodes) {
    const placed = graph.node(node.id);
    // dagre gives centres; the canvas positions nodes by their top-left corner.
    positions.set(node.id, { x: Math.round(placed.x - placed.width / 2), y: Math.round(placed.y - placed.height / 2) });
  }
  return positions;
}
