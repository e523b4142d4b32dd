/**
 * Conversion between the workflow document (API shape) and the canvas's nodes/edges.
 * Sticky notes are canvas nodes of type "note"; they are saved in the document's
 * `notes` (the engine ignores them), workflow nodes in its `nodes`.
 */
import type { Edge, Node } from "@xyflow/react";
import type { EdgeSpec, NodeSpec, Note, Workflow } from "../api/types";
import { cleanWorkflow } from "../api/workflowDoc";
import { uniqueNodeId } from "../graph/nodeIds";

export type WorkflowNodeData = { spec: NodeSpec };
export type NoteData = { text: string; width?: number; height?: number };
export type WorkflowFlowNode = Node<WorkflowNodeData, "workflow">;
export type NoteFlowNode = Node<NoteData, "note">;
export type FlowNode = WorkflowFlowNode | NoteFlowNode;
export type FlowEdge = Edge;

export type WorkflowMeta = Omit<Workflow, "nodes" | "edges" | "notes">;

/** A note as the document holds it; older editors kept the same shape in localStorage. */
export type StoredNote = Pick<Note, "id" | "text" | "position"> & { width?: number | null; height?: number | null };

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

/**
 * The notes as canvas nodes. Notes and workflow nodes share the canvas's id space, so a
 * note whose id a node (or an earlier note) already has gets a free one.
 */
export function notesToFlowNodes(notes: readonly StoredNote[], takenIds: Iterable<string>): NoteFlowNode[] {
  const taken = new Set(takenIds);
  return notes.map((note) => {
    const id = taken.has(note.id) ? uniqueNodeId("note", taken) : note.id;
    taken.add(id);
    return noteToFlowNode({ ...note, id });
  });
}

export function docToFlow(doc: Workflow): { meta: WorkflowMeta; nodes: FlowNode[]; edges: FlowEdge[] } {
  const { nodes, edges, notes, ...meta } = cleanWorkflow(doc);
  const workflowNodes = nodes.map(toFlowNode);
  return { meta, nodes: [...workflowNodes, ...notesToFlowNodes(notes, nodes.map((n) => n.id))], edges: edges.map(toFlowEdge) };
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
    notes: notesOf(nodes),
  };
}

export function notesOf(nodes: readonly FlowNode[]): Note[] {
  return nodes.filter(isNoteNode).map((n) => ({
    id: n.id,
    text: n.data.text,
    position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    width: roundedOrNull(n.width ?? n.measured?.width),
    height: roundedOrNull(n.height ?? n.measured?.height),
  }));
}

function roundedOrNull(size: number | undefined): number | null {
  return size === undefined ? null : Math.round(size);
}
