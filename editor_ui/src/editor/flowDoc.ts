/**
 * Conversion between the workflow document (API shape) and the canvas's nodes/edges.
 * Sticky notes are canvas nodes of type "note" that never enter the document.
 */
import type { Edge, Node } from "@xyflow/react";
import type { EdgeSpec, NodeSpec, Workflow } from "../api/types";
import { cleanWorkflow } from "../api/workflowDoc";

export type WorkflowNodeData = { spec: NodeSpec };
export type NoteData = { text: string; width?: number; height?: number };
export type WorkflowFlowNode = Node<WorkflowNodeData, "workflow">;
export type NoteFlowNode = Node<NoteData, "note">;
export type FlowNode = WorkflowFlowNode | NoteFlowNode;
export type FlowEdge = Edge;

export type WorkflowMeta = Omit<Workflow, "nodes" | "edges">;

export interface StoredNote {
  id: string;
  text: string;
  position: { x: number; y: number };
  width?: number;
  height?: number;
}

export function toFlowNode(spec: NodeSpec): WorkflowFlowNode {
  return { id: spec.id, type: "workflow", position: { ...spec.position }, data: { spec } };
}

export function toFlowEdge(edge: EdgeSpec): FlowEdge {
  return { id: edge.id || `${edge.source}->${edge.target}`, source: edge.source, target: edge.target };
}

export function noteToFlowNode(note: StoredNote): NoteFlowNode {
  return {
    id: note.id,
    type: "note",
    position: { ...note.position },
    data: { text: note.text },
    width: note.width ?? 200,
    height: note.height ?? 120,
    zIndex: -1,
  };
}

export function isWorkflowNode(node: FlowNode): node is WorkflowFlowNode {
  return node.type === "workflow";
}

export function isNoteNode(node: FlowNode): node is NoteFlowNode {
  return node.type === "note";
}

export function docToFlow(doc: Workflow): { meta: WorkflowMeta; nodes: WorkflowFlowNode[]; edges: FlowEdge[] } {
  const { nodes, edges, ...meta } = cleanWorkflow(doc);
  return { meta, nodes: nodes.map(toFlowNode), edges: edges.map(toFlowEdge) };
}

/** The document to save/validate: node positions come from the canvas. */
export function flowToDoc(meta: WorkflowMeta, nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Workflow {
  const specs: NodeSpec[] = [];
  for (const node of nodes) {
    if (!isWorkflowNode(node)) continue;
    specs.push({ ...node.data.spec, position: { x: Math.round(node.position.x), y: Math.round(node.position.y) } });
  }
  return {
    ...meta,
    nodes: specs,
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
  };
}

export function notesOf(nodes: readonly FlowNode[]): StoredNote[] {
  return nodes.filter(isNoteNode).map((n) => ({
    id: n.id,
    text: n.data.text,
    position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    width: n.width ?? n.measured?.width,
    height: n.height ?? n.measured?.height,
  }));
}
