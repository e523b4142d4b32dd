/**
 * A minimap for large workflows. xyflow's SVG minimap repaints every node rectangle on
 * each pan frame, which halves the frame rate at 1,000 nodes; this one draws the nodes
 * into a <canvas> only when they move, and moves a single viewport box while panning.
 * Click or drag on it to move the view there.
 */
import { useEffect, useMemo, useRef, type PointerEvent } from "react";
import { Panel, useReactFlow, useStore } from "@xyflow/react";
import { useEditor } from "./editorStore";
import { MINIMAP_COLOURS } from "./minimapColours";
import { useTheme } from "../ui/theme";

const WIDTH = 200;
const HEIGHT = 140;
const DEFAULT_NODE = { width: 180, height: 56 };

export function CanvasMiniMap() {
  const nodes = useEditor((s) => s.nodes);
  const [x, y, zoom] = useStore((s) => s.transform);
  const paneWidth = useStore((s) => s.width);
  const paneHeight = useStore((s) => s.height);
  const flow = useReactFlow();
  const canvas = useRef<HTMLCanvasElement>(null);
  const colours = MINIMAP_COLOURS[useTheme().theme];

  // Flow-space box of all nodes, and the scale that fits it into the minimap.
  const frame = useMemo(() => {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const node of nodes) {
      const w = node.measured?.width ?? node.width ?? DEFAULT_NODE.width;
      const h = node.measured?.height ?? node.height ?? DEFAULT_NODE.height;
      minX = Math.min(minX, node.position.x);
      minY = Math.min(minY, node.position.y);
      maxX = Math.max(maxX, node.position.x + w);
      maxY = Math.max(maxY, node.position.y + h);
    }
    if (!nodes.length) return { minX: 0, minY: 0, scale: 1 };
    const pad = 40;
    minX -= pad; minY -= pad; maxX += pad; maxY += pad;
    const scale = Math.min(WIDTH / (maxX - minX), HEIGHT / (maxY - minY));
    return { minX, minY, scale };
  }, [nodes]);

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d");
    if (!ctx) return;
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    for (const node of nodes) {
      const w = node.measured?.width ?? node.width ?? DEFAULT_NODE.width;
      const h = node.measured?.height ?? node.height ?? DEFAULT_NODE.height;
      ctx.fillStyle = node.type === "note" ? colours.note : node.selected ? colours.selected : colours.node;
      ctx.fillRect((node.position.x - frame.minX) * frame.scale, (node.position.y - frame.minY) * frame.scale,
        Math.max(1, w * frame.scale), Math.max(1, h * frame.scale));
    }
  }, [nodes, frame, colours]);

  // The visible part of the flow, in minimap pixels.
  const view = {
    left: (-x / zoom - frame.minX) * frame.scale,
    top: (-y / zoom - frame.minY) * frame.scale,
    width: (paneWidth / zoom) * frame.scale,
    height: (paneHeight / zoom) * frame.scale,
  };

  const moveTo = (event: PointerEvent<HTMLDivElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    const fx = (event.clientX - rect.left) / frame.scale + frame.minX;
    const fy = (event.clientY - rect.top) / frame.scale + frame.minY;
    void flow.setCenter(fx, fy, { zoom, duration: 0 });
  };

  return (
    <Panel position="bottom-right">
      <div
        className="canvas-minimap"
        data-testid="canvas-minimap"
        style={{ width: WIDTH, height: HEIGHT }}
        onPointerDown={(e) => { e.currentTarget.setPointerCapture(e.pointerId); moveTo(e); }}
        onPointerMove={(e) => { if (e.buttons === 1) moveTo(e); }}
      >
        <canvas ref={canvas} width={WIDTH} height={HEIGHT} />
        <div className="canvas-minimap-view" style={view} />
      </div>
    </Panel>
  );
}
