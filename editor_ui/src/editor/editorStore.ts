/**
 * The open workflow's editing state: canvas nodes/edges, workflow fields, undo history,
 * validation problems, the live run and the save state. Mutations here are the verbs
 * the named actions (editorActions.ts) call; components only read and call them.
 */
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange } from "@xyflow/react";
import { create } from "zustand";
import type { Category, InputMode, LiveNodeRun, NodeSpec, NodeTypeInfo, Problem, Run, RunStatus, Workflow } from "../api/types";
import { connectionProblem, inputModeOf } from "../graph/rules";
import { UndoStack } from "../graph/undoStack";
import { idStemForType, uniqueNodeId } from "../graph/nodeIds";
import { layoutLeftToRight } from "../graph/layout";
import { layoutElkLayered } from "../graph/elkLayout";
import { preparePaste, type ClipboardContent } from "../graph/clipboard";
import { freeOffset, freePosition, NEXT_NODE_DX, NODE_SIZE, type Rect } from "../graph/placement";
import { configWithDefaults } from "../forms/schemaForm";
import {
  docToFlow, flowToDoc, isWorkflowNode, noteToFlowNode, notesToFlowNodes, toFlowEdge, toFlowNode,
  type FlowEdge, type FlowNode, type StoredNote, type WorkflowFlowNode, type WorkflowMeta,
} from "./flowDoc";
import { withExpectedGeometry } from "./nodeGeometry";

interface Snapshot {
  meta: WorkflowMeta;
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** The revision the document had: undoing back to the saved state makes it clean again. */
  revision: number;
}

export interface LiveRun {
  runId: string;
  status: RunStatus;
  error: string | null;
  nodes: Record<string, LiveNodeRun>;
  /** When it started and which saved version ran (from the run's detail; unknown until read). */
  startedAt?: string | null;
  workflowVersion?: number | null;
}

export interface SaveConflict {
  currentVersion: number | null;
  detail: string;
}

export interface EditorState {
  meta: WorkflowMeta | null;
  nodes: FlowNode[];
  edges: FlowEdge[];
  nodeTypes: Record<string, NodeTypeInfo>;
  /**
   * Names the document's content: a change (not a selection) takes a new, never-used
   * number, undo/redo give back the number the restored state had. It drives validation
   * and autosave; the document is unsaved while it differs from `savedRevision`.
   */
  revision: number;
  savedRevision: number;
  /** A just-added note whose text field should take the keyboard (then null). */
  focusNoteId: string | null;
  problems: Problem[];
  problemsByNode: Record<string, Problem[]>;
  validating: boolean;
  run: LiveRun | null;
  inspectedNodeId: string | null;
  /** The node shown in the node detail view (double-click / Enter), if it is open. */
  detailNodeId: string | null;
  /** The node whose title is being edited in place on the canvas (F2 / double-click). */
  renamingNodeId: string | null;
  conflict: SaveConflict | null;
  wireHint: string | null;
  toast: { text: string; kind: "info" | "error" } | null;
  canUndo: boolean;
  canRedo: boolean;

  setNodeTypes(types: NodeTypeInfo[]): void;
  load(doc: Workflow): void;
  /** Notes from elsewhere (an older editor's localStorage) added to the document as one undo step. */
  addNotes(notes: StoredNote[]): void;
  /** The document is unsaved without a new change (a restored draft). */
  markUnsaved(): void;
  noteFocused(): void;
  document(): Workflow;
  categoryOf(nodeId: string): Category | undefined;
  /** The node's input mode; node types that predate `inputs` follow their category. */
  inputsOf(nodeId: string): InputMode | undefined;
  connectionProblem(source: string | null | undefined, target: string | null | undefined): string | null;

  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  beginGesture(): void;
  connect(source: string, target: string): boolean;
  /**
   * Add a node at the free spot nearest to `position`. With `connectFrom`, it goes right of
   * that node and is wired from it when the rules allow. With `intoEdge` (dropped on a
   * wire A→B) it is wired in between, A→new→B, when the rules allow both wires.
   */
  addNode(type: string, position: { x: number; y: number }, options?: { connectFrom?: string; intoEdge?: string }): string | null;
  /** The one selected workflow node, if exactly one is selected (what a palette add continues from). */
  soleSelectedNodeId(): string | null;
  addNote(position: { x: number; y: number }): string;
  updateNote(id: string, text: string): void;
  updateNodeSpec(id: string, patch: Partial<NodeSpec>, coalesceKey?: string): void;
  /** The same patch on several nodes, as one undo step (e.g. disabling a selection). */
  updateNodesSpec(ids: readonly string[], patch: Partial<NodeSpec>): void;
  updateMeta(patch: Partial<WorkflowMeta>, coalesceKey?: string): void;
  deleteSelection(): void;
  selectAll(): void;
  selectOnly(nodeId: string): void;
  selectedNodeIds(): Set<string>;
  pasteContent(content: ClipboardContent, offset: { x: number; y: number }): void;
  autoLayout(): void;
  /** Auto-layout with ELK layered (loaded on first use); one undo step, like autoLayout. */
  autoLayoutElk(): Promise<void>;
  undo(): void;
  redo(): void;
  inspect(nodeId: string | null): void;
  openNodeDetail(nodeId: string): void;
  closeNodeDetail(): void;
  startRename(nodeId: string): void;
  /** End the in-place rename: a string is the new label (empty: back to the id), null cancels. */
  finishRename(label: string | null): void;

  setProblems(problems: Problem[]): void;
  setValidating(validating: boolean): void;
  markSaved(doc: Workflow): void;
  setConflict(conflict: SaveConflict | null): void;
  setWireHint(hint: string | null): void;
  showToast(text: string, kind?: "info" | "error"): void;

  startLiveRun(runId: string): void;
  applyRunEvent(kind: string, payload: Record<string, unknown>): void;
  applyRunDetail(run: Run): void;
  /** When the shown run started and which version it runs, without touching its nodes' live state. */
  setRunInfo(runId: string, info: { startedAt: string | null; workflowVersion: number }): void;
  /** The canvas stops showing a run's results. */
  clearRun(): void;
}

const history = new UndoStack<Snapshot>();
let lastCoalesce: { key: string; at: number } | null = null;
/** The last revision number handed out (revisions are never reused, see EditorState.revision). */
let lastRevision = 0;
const newRevision = () => ++lastRevision;

function groupProblems(problems: Problem[]): Record<string, Problem[]> {
  const byNode: Record<string, Problem[]> = {};
  for (const problem of problems) {
    if (!problem.node) continue;
    (byNode[problem.node] ??= []).push(problem);
  }
  return byNode;
}

/** Canvas rectangles of the nodes, measured sizes where the canvas has them. */
function rectsOf(nodes: readonly FlowNode[]): Rect[] {
  return nodes.map((n) => ({
    x: n.position.x, y: n.position.y,
    width: n.measured?.width ?? n.width ?? NODE_SIZE.width,
    height: n.measured?.height ?? n.height ?? NODE_SIZE.height,
  }));
}

/** The wires with `node` put into the wire A→B (A→node→B), or null when the rules refuse either wire. */
function spliceIntoWire(
  edges: FlowEdge[], wire: FlowEdge, node: string, inputsOf: (id: string) => InputMode | undefined,
): FlowEdge[] | null {
  const without = deselected(edges.filter((e) => e.id !== wire.id));
  if (connectionProblem(without, wire.source, node, inputsOf) !== null) return null;
  const first = toFlowEdge({ id: `${wire.source}->${node}`, source: wire.source, target: node });
  if (connectionProblem([...without, first], node, wire.target, inputsOf) !== null) return null;
  return [...without, first, toFlowEdge({ id: `${node}->${wire.target}`, source: node, target: wire.target })];
}

function deselected<T extends { selected?: boolean }>(items: T[]): T[] {
  return items.map((item) => (item.selected ? { ...item, selected: false } : item));
}

export const useEditor = create<EditorState>()((set, get) => {
  /** Remember the current state for undo before a change (coalescing repeated edits of one field). */
  function record(coalesceKey?: string) {
    const { meta, nodes, edges, revision } = get();
    if (!meta) return;
    const now = Date.now();
    if (coalesceKey && lastCoalesce && lastCoalesce.key === coalesceKey && now - lastCoalesce.at < 1500) {
      lastCoalesce.at = now;
      return;
    }
    lastCoalesce = coalesceKey ? { key: coalesceKey, at: now } : null;
    history.record({ meta, nodes: deselected(nodes), edges: deselected(edges), revision });
    set({ canUndo: history.canUndo, canRedo: history.canRedo });
  }

  function changed(patch: Partial<EditorState>) {
    set({ ...patch, revision: newRevision(), canUndo: history.canUndo, canRedo: history.canRedo });
  }

  function restore(snapshot: Snapshot) {
    lastCoalesce = null;
    set({
      meta: snapshot.meta, nodes: snapshot.nodes, edges: snapshot.edges, revision: snapshot.revision,
      canUndo: history.canUndo, canRedo: history.canRedo,
    });
  }

  /** The current state as an undo snapshot. */
  const current = (): Snapshot => {
    const { meta, nodes, edges, revision } = get();
    return { meta: meta!, nodes: deselected(nodes), edges: deselected(edges), revision };
  };

  return {
    meta: null,
    nodes: [],
    edges: [],
    nodeTypes: {},
    revision: 0,
    savedRevision: 0,
    focusNoteId: null,
    problems: [],
    problemsByNode: {},
    validating: false,
    run: null,
    inspectedNodeId: null,
    detailNodeId: null,
    renamingNodeId: null,
    conflict: null,
    wireHint: null,
    toast: null,
    canUndo: false,
    canRedo: false,

    setNodeTypes(types) {
      set({ nodeTypes: Object.fromEntries(types.map((t) => [t.type, t])) });
    },

    load(doc) {
      history.clear();
      lastCoalesce = null;
      const flow = docToFlow(doc);
      const { meta, edges } = flow;
      // Sized in advance: React Flow draws every node and wire in its first render (nodeGeometry.ts).
      const nodes = withExpectedGeometry(flow.nodes, (type) => inputModeOf(get().nodeTypes[type]));
      const revision = newRevision();
      set({
        meta, nodes, edges, focusNoteId: null,
        revision, savedRevision: revision, problems: [], problemsByNode: {},
        // Not yet checked by the server: the toolbar says "checking…" rather than "valid".
        validating: true,
        inspectedNodeId: null, detailNodeId: null, renamingNodeId: null, conflict: null, run: null, canUndo: false, canRedo: false,
      });
    },

    document() {
      const { meta, nodes, edges } = get();
      if (!meta) throw new Error("no workflow is open");
      return flowToDoc(meta, nodes, edges);
    },

    addNotes(notes) {
      if (!notes.length || !get().meta) return;
      record();
      changed({ nodes: [...get().nodes, ...notesToFlowNodes(notes, get().nodes.map((n) => n.id))] });
    },

    markUnsaved() {
      set({ savedRevision: -1 });
    },

    noteFocused() {
      if (get().focusNoteId !== null) set({ focusNoteId: null });
    },

    categoryOf(nodeId) {
      const node = get().nodes.find((n) => n.id === nodeId);
      if (!node || !isWorkflowNode(node)) return undefined;
      return get().nodeTypes[node.data.spec.type]?.category ?? "transform";
    },

    inputsOf(nodeId) {
      const node = get().nodes.find((n) => n.id === nodeId);
      if (!node || !isWorkflowNode(node)) return undefined;
      return inputModeOf(get().nodeTypes[node.data.spec.type]);
    },

    connectionProblem(source, target) {
      return connectionProblem(get().edges, source, target, (id) => get().inputsOf(id));
    },

    onNodesChange(changes) {
      // Removals go through deleteSelection (one undo step, edges included).
      const kept = changes.filter((c) => c.type !== "remove");
      if (kept.length === 0) return;
      const moves = kept.filter(
        (c): c is Extract<NodeChange<FlowNode>, { type: "position" | "dimensions" }> =>
          c.type === "position" || (c.type === "dimensions" && !!c.resizing),
      );
      const nodes = applyNodeChanges(kept, get().nodes);
      if (moves.length) changed({ nodes });
      else set({ nodes });
    },

    onEdgesChange(changes) {
      const kept = changes.filter((c) => c.type !== "remove");
      if (kept.length) set({ edges: applyEdgeChanges(kept, get().edges) });
    },

    beginGesture() {
      record();
    },

    connect(source, target) {
      const problem = get().connectionProblem(source, target);
      if (problem) {
        get().showToast(`Not connected: ${problem}`, "error");
        return false;
      }
      record();
      changed({ edges: [...get().edges, toFlowEdge({ id: `${source}->${target}`, source, target })] });
      return true;
    },

    addNode(type, position, options = {}) {
      const nodeType = get().nodeTypes[type];
      if (!nodeType) return null;
      const from = options.connectFrom ? get().nodes.find((n) => n.id === options.connectFrom && isWorkflowNode(n)) : undefined;
      const wanted = from ? { x: from.position.x + NEXT_NODE_DX, y: from.position.y } : position;
      record();
      const id = uniqueNodeId(idStemForType(type), new Set(get().nodes.map((n) => n.id)));
      const spec: NodeSpec = {
        id, type, label: "", position: freePosition(wanted, rectsOf(get().nodes)),
        config: configWithDefaults(nodeType.config_schema, {}),
        retries: 0, retry_delay_s: 0, timeout_s: null,
      };
      const node = { ...toFlowNode(spec), selected: true };
      const nodes = [...deselected(get().nodes), node];
      let edges = get().edges;
      const inputsOf = (nodeId: string) => (nodeId === id ? inputModeOf(nodeType) : get().inputsOf(nodeId));
      // Wired in the same undo step as the add; a node that takes no input is just placed.
      if (from && connectionProblem(edges, from.id, id, inputsOf) === null) {
        edges = [...deselected(edges), toFlowEdge({ id: `${from.id}->${id}`, source: from.id, target: id })];
      }
      const into = options.intoEdge ? edges.find((e) => e.id === options.intoEdge) : undefined;
      if (into) {
        const spliced = spliceIntoWire(edges, into, id, inputsOf);
        if (spliced) edges = spliced;
        else get().showToast(`Placed, not wired into ${into.source} → ${into.target}: this node cannot sit between them`, "info");
      }
      changed({ nodes, edges, inspectedNodeId: id });
      return id;
    },

    soleSelectedNodeId() {
      const selected = get().nodes.filter((n) => n.selected);
      return selected.length === 1 && isWorkflowNode(selected[0]) ? selected[0].id : null;
    },

    addNote(position) {
      record();
      const id = uniqueNodeId("note", new Set(get().nodes.map((n) => n.id)));
      const placed = freePosition(position, rectsOf(get().nodes), { width: 200, height: 120 });
      // The new note takes the keyboard: what is typed next is its text, not more shortcuts.
      changed({ nodes: [...deselected(get().nodes), { ...noteToFlowNode({ id, text: "", position: placed }), selected: true }], focusNoteId: id });
      return id;
    },

    updateNote(id, text) {
      record(`note:${id}`);
      changed({
        nodes: get().nodes.map((n) => (n.id === id && n.type === "note" ? { ...n, data: { ...n.data, text } } : n)),
      });
    },

    updateNodeSpec(id, patch, coalesceKey) {
      record(coalesceKey ? `${id}:${coalesceKey}` : undefined);
      changed({
        nodes: get().nodes.map((n) =>
          n.id === id && isWorkflowNode(n) ? { ...n, data: { spec: { ...n.data.spec, ...patch } } } : n,
        ),
      });
    },

    updateNodesSpec(ids, patch) {
      const targets = new Set(ids);
      record();
      changed({
        nodes: get().nodes.map((n) =>
          targets.has(n.id) && isWorkflowNode(n) ? { ...n, data: { spec: { ...n.data.spec, ...patch } } } : n,
        ),
      });
    },

    updateMeta(patch, coalesceKey) {
      const meta = get().meta;
      if (!meta) return;
      record(coalesceKey ? `meta:${coalesceKey}` : undefined);
      changed({ meta: { ...meta, ...patch } });
    },

    deleteSelection() {
      const selectedNodes = new Set(get().nodes.filter((n) => n.selected).map((n) => n.id));
      const selectedEdges = new Set(get().edges.filter((e) => e.selected).map((e) => e.id));
      if (!selectedNodes.size && !selectedEdges.size) return;
      record();
      const inspected = get().inspectedNodeId;
      changed({
        nodes: get().nodes.filter((n) => !selectedNodes.has(n.id)),
        edges: get().edges.filter(
          (e) => !selectedEdges.has(e.id) && !selectedNodes.has(e.source) && !selectedNodes.has(e.target),
        ),
        inspectedNodeId: inspected && selectedNodes.has(inspected) ? null : inspected,
      });
    },

    selectAll() {
      set({
        nodes: get().nodes.map((n) => (n.selected ? n : { ...n, selected: true })),
        edges: get().edges.map((e) => (e.selected ? e : { ...e, selected: true })),
      });
    },

    selectOnly(nodeId) {
      set({
        nodes: get().nodes.map((n) => (n.id === nodeId ? { ...n, selected: true } : n.selected ? { ...n, selected: false } : n)),
        edges: deselected(get().edges),
      });
    },

    selectedNodeIds() {
      return new Set(get().nodes.filter((n) => n.selected).map((n) => n.id));
    },

    pasteContent(content, offset) {
      if (!content.nodes.length) return;
      record();
      // The pasted group moves as one to the free spot nearest `offset` from the originals.
      const group = content.nodes.map((n) => ({ x: n.position?.x ?? 0, y: n.position?.y ?? 0, ...NODE_SIZE }));
      const free = freeOffset(group, rectsOf(get().nodes), offset);
      const { nodes, edges } = preparePaste(content, get().nodes.map((n) => n.id), { x: Math.round(free.x), y: Math.round(free.y) });
      changed({
        nodes: [...deselected(get().nodes), ...nodes.map((spec) => ({ ...toFlowNode(spec), selected: true }))],
        edges: [...deselected(get().edges), ...edges.map(toFlowEdge)],
        // The inspector follows the paste: it shows the (first) pasted node.
        inspectedNodeId: nodes[0].id,
      });
    },

    autoLayout() {
      const workflowNodes = get().nodes.filter(isWorkflowNode) as WorkflowFlowNode[];
      if (!workflowNodes.length) return;
      record();
      const positions = layoutLeftToRight(
        workflowNodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height })),
        get().edges,
      );
      changed({ nodes: get().nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id)! } : n)) });
    },

    async autoLayoutElk() {
      const workflowNodes = get().nodes.filter(isWorkflowNode) as WorkflowFlowNode[];
      if (!workflowNodes.length) return;
      const opened = get().meta?.id;
      const positions = await layoutElkLayered(
        workflowNodes.map((n) => ({ id: n.id, width: n.measured?.width, height: n.measured?.height })),
        get().edges,
      );
      // Another workflow opened while ELK worked: its canvas is not this one's.
      if (get().meta?.id !== opened) return;
      record();
      changed({ nodes: get().nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id)! } : n)) });
    },

    undo() {
      if (!get().meta) return;
      const previous = history.undo(current());
      if (previous) restore(previous);
    },

    redo() {
      if (!get().meta) return;
      const next = history.redo(current());
      if (next) restore(next);
    },

    inspect(nodeId) {
      set({ inspectedNodeId: nodeId });
    },

    openNodeDetail(nodeId) {
      const node = get().nodes.find((n) => n.id === nodeId);
      if (node && isWorkflowNode(node)) set({ detailNodeId: nodeId, inspectedNodeId: nodeId });
    },

    closeNodeDetail() {
      set({ detailNodeId: null });
    },

    startRename(nodeId) {
      const node = get().nodes.find((n) => n.id === nodeId);
      if (node && isWorkflowNode(node)) set({ renamingNodeId: nodeId });
    },

    finishRename(label) {
      const id = get().renamingNodeId;
      if (!id) return;
      set({ renamingNodeId: null });
      const node = get().nodes.find((n) => n.id === id);
      if (label === null || !node || !isWorkflowNode(node)) return;
      // The title shows the id when the label is empty: typing the id back clears the label.
      const next = label.trim() === id ? "" : label.trim();
      if (next !== node.data.spec.label) get().updateNodeSpec(id, { label: next });
    },

    setProblems(problems) {
      set({ problems, problemsByNode: groupProblems(problems) });
    },

    setValidating(validating) {
      set({ validating });
    },

    markSaved(doc) {
      const meta = get().meta;
      if (!meta) return;
      // Keep the canvas as it is (the user may have edited during the request): only the version moves.
      set({ meta: { ...meta, version: doc.version }, savedRevision: get().revision, conflict: null });
    },

    setConflict(conflict) {
      set({ conflict });
    },

    setWireHint(hint) {
      if (get().wireHint !== hint) set({ wireHint: hint });
    },

    showToast(text, kind = "info") {
      set({ toast: { text, kind } });
    },

    startLiveRun(runId) {
      const nodes: Record<string, LiveNodeRun> = {};
      for (const node of get().nodes) {
        if (!isWorkflowNode(node)) continue;
        nodes[node.id] = {
          node_id: node.id, status: "pending", started_at: null, ended_at: null,
          duration_s: null, records_in: null, records_out: null, error: null,
        };
      }
      set({ run: { runId, status: "running", error: null, nodes } });
    },

    applyRunEvent(kind, payload) {
      const run = get().run;
      if (!run || payload.run_id !== undefined && payload.run_id !== run.runId) return;
      if (kind === "node_started") {
        const nodeId = String(payload.node_id);
        const previous = run.nodes[nodeId];
        set({
          run: {
            ...run,
            nodes: {
              ...run.nodes,
              [nodeId]: {
                ...(previous ?? { node_id: nodeId, ended_at: null, duration_s: null, records_out: null, error: null }),
                status: "running",
                attempts: Number(payload.attempt ?? 1),
                records_in: (payload.records_in as number | null) ?? null,
                started_at: (payload.at as string | null) ?? null,
              } as LiveNodeRun,
            },
          },
        });
      } else if (kind === "node_finished") {
        // Merge: a run settled by the server (crash, cancel) reports only the status.
        const nodeId = String(payload.node_id);
        const node = { ...run.nodes[nodeId], ...(payload as Partial<LiveNodeRun>) } as LiveNodeRun;
        set({ run: { ...run, nodes: { ...run.nodes, [nodeId]: node } } });
      } else if (kind === "run_state") {
        get().applyRunDetail(payload as unknown as Run);
      } else if (kind === "run_finished") {
        set({ run: { ...run, status: payload.status as RunStatus, error: (payload.error as string | null) ?? null } });
      } else if (kind === "run_started" || kind === "run_cancelling") {
        // A run cancelled before its worker started reports run_started as `cancelling`.
        set({ run: { ...run, status: (payload.status as RunStatus | undefined) ?? "running" } });
      }
    },

    applyRunDetail(detail) {
      const run = get().run;
      if (!run || run.runId !== detail.id) return;
      const nodes = { ...run.nodes };
      for (const node of detail.nodes ?? []) nodes[node.node_id] = node;
      set({
        run: {
          ...run, status: detail.status, error: detail.error, nodes,
          startedAt: detail.started_at ?? run.startedAt ?? null, workflowVersion: detail.workflow_version ?? run.workflowVersion ?? null,
        },
      });
    },

    setRunInfo(runId, info) {
      const run = get().run;
      if (run && run.runId === runId) set({ run: { ...run, startedAt: info.startedAt ?? run.startedAt ?? null, workflowVersion: info.workflowVersion } });
    },

    clearRun() {
      set({ run: null });
    },
  };
});

/** True while the canvas has changes not yet saved to the server. */
export const selectDirty = (s: EditorState) => s.revision !== s.savedRevision;
