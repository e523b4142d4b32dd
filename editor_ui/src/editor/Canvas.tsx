/** The flow canvas: nodes, wires (checked while dragging), selection, zoom/pan, minimap. */
import { useCallback, useLayoutEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from "react";
import {
  Background, Controls, getNodesBounds, getViewportForBounds, MarkerType, MiniMap, ReactFlow, SelectionMode, useReactFlow,
  type Connection, type Edge, type EdgeTypes, type NodeTypes, type OnConnectEnd, type Viewport,
} from "@xyflow/react";
import { useEditor } from "./editorStore";
import { WorkflowNodeView } from "./WorkflowNodeView";
import { NoteNodeView } from "./NoteNodeView";
import { WireEdge } from "./WireEdge";
import { PALETTE_MIME } from "./Palette";
import { CanvasMiniMap } from "./CanvasMiniMap";
import type { FlowNode } from "./flowDoc";
import { useTheme } from "../ui/theme";
import { MINIMAP_COLOURS } from "./minimapColours";

const NODE_TYPES: NodeTypes = { workflow: WorkflowNodeView, note: NoteNodeView };
const EDGE_TYPES: EdgeTypes = { smoothstep: WireEdge };

// Wires show their direction; a selected wire is highlighted so Delete's target is clear.
// Orthogonal (smoothstep) routing: a backward wire (to a node left of its source) leaves
// rightwards, runs in the gap between the rows and enters from the left, instead of a
// bezier loop crossing the canvas diagonally.
const DEFAULT_EDGE_OPTIONS = {
  type: "smoothstep",
  pathOptions: { borderRadius: 10, offset: 24 },
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
  style: { strokeWidth: 1.6 },
};

const MIN_ZOOM = 0.05;
const FIT_VIEW_OPTIONS = { padding: 0.2, maxZoom: 1 };

/**
 * The view that fits the opened workflow into a pane of `size`, as React Flow's fitView
 * computes it. Given as the first viewport, the first frame already shows the fitted view
 * (fitView itself waits for React Flow's measuring pass and would move it afterwards).
 */
function fittedViewport(nodes: readonly FlowNode[], size: { width: number; height: number }): Viewport | undefined {
  if (!nodes.length || !size.width || !size.height) return undefined;
  return getViewportForBounds(getNodesBounds([...nodes]), size.width, size.height, MIN_ZOOM, FIT_VIEW_OPTIONS.maxZoom, FIT_VIEW_OPTIONS.padding);
}

/** From this many nodes on, the cheaper canvas minimap replaces xyflow's SVG one. */
const LARGE_WORKFLOW_NODES = 200;

/**
 * Ids of nodes whose type takes no records, only ordering ("order", e.g. store.read after a
 * write), as one string so the canvas re-styles wires only when that set changes, not on
 * every drag frame.
 */
function selectOrderTargets(s: ReturnType<typeof useEditor.getState>): string {
  let ids = "";
  for (const node of s.nodes) {
    if (node.type === "workflow" && s.nodeTypes[node.data.spec.type]?.inputs === "order") ids += `${node.id}\n`;
  }
  return ids;
}

/** The id of the wire under a screen point (its wide, invisible hit path counts), if any. */
function wireAt(clientX: number, clientY: number): string | null {
  for (const element of document.elementsFromPoint(clientX, clientY)) {
    const edge = element.closest(".react-flow__edge");
    if (edge) return edge.getAttribute("data-id");
    if (element.closest(".react-flow__node")) return null; // over a node, not a wire
  }
  return null;
}

/** Light up the wire a palette drop would go into (DOM only: a drag is too hot for the store). */
function markDropWire(edgeId: string | null): void {
  for (const lit of document.querySelectorAll(".react-flow__edge.drop-target")) {
    if (lit.getAttribute("data-id") !== edgeId) lit.classList.remove("drop-target");
  }
  if (edgeId) document.querySelector(`.react-flow__edge[data-id="${CSS.escape(edgeId)}"]`)?.classList.add("drop-target");
}

/** `children` float over the canvas (the run banner): they never move the nodes on screen. */
export function Canvas({ onContextMenu, children }: { onContextMenu: (at: { x: number; y: number }, onNode: boolean) => void; children?: ReactNode }) {
  const nodes = useEditor((s) => s.nodes);
  const storedEdges = useEditor((s) => s.edges);
  const orderTargetIds = useEditor(selectOrderTargets);
  // Wires into an ordering-only input carry no records: drawn dashed (styles.css .edge-order).
  const edges = useMemo(() => {
    const orderTargets = new Set(orderTargetIds.split("\n"));
    return storedEdges.map((e) => (orderTargets.has(e.target) ? { ...e, className: "edge-order" } : e));
  }, [storedEdges, orderTargetIds]);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const wireHint = useEditor((s) => s.wireHint);
  const largeWorkflow = useEditor((s) => s.nodes.length >= LARGE_WORKFLOW_NODES);
  const flow = useReactFlow();
  const { theme } = useTheme();
  const colours = MINIMAP_COLOURS[theme];
  // Fit an opened workflow once; an empty one keeps zoom 1 (no jump on the first drop).
  const [fitOnOpen] = useState(() => useEditor.getState().nodes.length > 0);
  // The pane's size, read before React Flow first renders (a layout effect: before the
  // first paint), so its first frame can be the fitted view.
  const pane = useRef<HTMLDivElement>(null);
  const [openingView, setOpeningView] = useState<Viewport | undefined | null>(null);
  useLayoutEffect(() => {
    const box = pane.current!;
    setOpeningView(fitOnOpen ? fittedViewport(useEditor.getState().nodes, { width: box.clientWidth, height: box.clientHeight }) : undefined);
  }, [fitOnOpen]);

  const isValidConnection = useCallback((connection: Connection | Edge) => {
    const problem = useEditor.getState().connectionProblem(connection.source, connection.target);
    useEditor.getState().setWireHint(problem);
    return problem === null;
  }, []);

  const onConnect = useCallback((connection: Connection) => {
    useEditor.getState().connect(connection.source, connection.target);
  }, []);

  const onConnectStart = useCallback(() => useEditor.getState().setWireHint(null), []);
  // A refused wire: say why once the user lets go over the refusing node.
  const onConnectEnd: OnConnectEnd = useCallback((_, state) => {
    const editor = useEditor.getState();
    editor.setWireHint(null);
    if (state.isValid === false && state.fromNode && state.toNode) {
      const [source, target] = state.fromHandle?.type === "target"
        ? [state.toNode.id, state.fromNode.id] : [state.fromNode.id, state.toNode.id];
      const problem = editor.connectionProblem(source, target);
      if (problem) editor.showToast(`Not connected: ${problem}`, "error");
    }
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      // Dropped on a wire: the new node goes in between (its ends are wired to it).
      const intoEdge = wireAt(event.clientX, event.clientY) ?? undefined;
      useEditor.getState().addNode(type, { x: Math.round(position.x - 80), y: Math.round(position.y - 20) }, { intoEdge });
    },
    [flow],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      markDropWire(wireAt(event.clientX, event.clientY));
    }
  }, []);

  return (
    <div className="canvas" onDrop={(e) => { markDropWire(null); onDrop(e); }} onDragOver={onDragOver}
         onDragLeave={() => markDropWire(null)} data-testid="canvas" ref={pane}>
      {openingView !== null && <ReactFlow<FlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={() => useEditor.getState().beginGesture()}
        onNodeClick={(_, node) => useEditor.getState().inspect(node.type === "workflow" ? node.id : null)}
        onNodeDoubleClick={(_, node) => node.type === "workflow" && useEditor.getState().openNodeDetail(node.id)}
        onPaneClick={() => useEditor.getState().inspect(null)}
        onPaneContextMenu={(event) => {
          event.preventDefault();
          onContextMenu({ x: event.clientX, y: event.clientY }, false);
        }}
        onNodeContextMenu={(event, node) => {
          event.preventDefault();
          if (!node.selected) useEditor.getState().selectOnly(node.id);
          onContextMenu({ x: event.clientX, y: event.clientY }, true);
        }}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control", "Shift"]}
        selectionOnDrag
        selectionMode={SelectionMode.Partial}
        panOnDrag={[1]}
        panOnScroll
        zoomOnPinch
        minZoom={MIN_ZOOM}
        maxZoom={2}
        defaultViewport={openingView}
        fitView={fitOnOpen}
        fitViewOptions={FIT_VIEW_OPTIONS}
        proOptions={{ hideAttribution: true }}
        colorMode={theme}
      >
        <Background gap={20} />
        <Controls />
        {largeWorkflow ? <CanvasMiniMap /> : (
          // The viewport box: an accent outline over a dimmed rest, visible at a glance.
          <MiniMap<FlowNode> nodeColor={(n) => (n.type === "note" ? colours.note : n.selected ? colours.selected : colours.node)}
                             maskColor={colours.mask} maskStrokeColor={colours.view} maskStrokeWidth={2} pannable zoomable />
        )}
      </ReactFlow>}
      {children}
      {wireHint && <div className="wire-hint" data-testid="wire-hint">{wireHint}</div>}
    </div>
  );
}
