/** The flow canvas: nodes, wires (checked while dragging), selection, zoom/pan, minimap. */
import { useCallback, type DragEvent } from "react";
import {
  Background, Controls, MiniMap, ReactFlow, SelectionMode, useReactFlow,
  type Connection, type Edge, type NodeTypes, type OnConnectStartParams,
} from "@xyflow/react";
import { useEditor } from "./editorStore";
import { WorkflowNodeView } from "./WorkflowNodeView";
import { NoteNodeView } from "./NoteNodeView";
import { PALETTE_MIME } from "./Palette";
import type { FlowNode } from "./flowDoc";

const NODE_TYPES: NodeTypes = { workflow: WorkflowNodeView, note: NoteNodeView };

const minimapColor = (node: FlowNode) => (node.type === "note" ? "#f6e58d" : "#8aa4c8");

export function Canvas({ onReady }: { onReady?: (flow: ReturnType<typeof useReactFlow>) => void }) {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const wireHint = useEditor((s) => s.wireHint);
  const flow = useReactFlow();

  const isValidConnection = useCallback((connection: Connection | Edge) => {
    const problem = useEditor.getState().connectionProblem(connection.source, connection.target);
    useEditor.getState().setWireHint(problem);
    return problem === null;
  }, []);

  const onConnect = useCallback((connection: Connection) => {
    useEditor.getState().connect(connection.source, connection.target);
  }, []);

  const onConnectStart = useCallback((_: unknown, __: OnConnectStartParams) => useEditor.getState().setWireHint(null), []);
  const onConnectEnd = useCallback(() => useEditor.getState().setWireHint(null), []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      useEditor.getState().addNode(type, { x: Math.round(position.x - 80), y: Math.round(position.y - 20) });
    },
    [flow],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  }, []);

  return (
    <div className="canvas" onDrop={onDrop} onDragOver={onDragOver} data-testid="canvas">
      <ReactFlow<FlowNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeDragStart={() => useEditor.getState().beginGesture()}
        onNodeClick={(_, node) => useEditor.getState().inspect(node.type === "workflow" ? node.id : null)}
        onPaneClick={() => useEditor.getState().inspect(null)}
        onInit={(instance) => onReady?.(instance as unknown as ReturnType<typeof useReactFlow>)}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control", "Shift"]}
        selectionOnDrag
        selectionMode={SelectionMode.Partial}
        panOnDrag={[1, 2]}
        panOnScroll
        zoomOnPinch
        minZoom={0.05}
        maxZoom={2}
        onlyRenderVisibleElements
        fitView
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} />
        <Controls />
        <MiniMap<FlowNode> nodeColor={minimapColor} pannable zoomable />
      </ReactFlow>
      {wireHint && <div className="wire-hint" data-testid="wire-hint">{wireHint}</div>}
    </div>
  );
}
