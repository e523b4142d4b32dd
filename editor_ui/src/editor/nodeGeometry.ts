/**
 * Where a workflow node and its handles sit on the canvas before the browser has measured
 * them, as styles.css draws them: `.wf-node` is 200 px wide (border-box) and, with a title
 * and a type line, 42 px high; its 12 px handles sit 22 px from the top, centred on the
 * left and right edges, whatever else the node shows (run badges, a problem line).
 *
 * Why: React Flow draws a node it has no size for hidden, measures it, renders every node
 * again and only then draws the wires. On a 1,000-node workflow that is a second full
 * render before anything shows. Given this geometry with the opened nodes, it draws every
 * node and wire in the first frame. It still measures each node right after, so a node
 * drawn taller than 42 px (a problem line, badges) gets its real height then; the handles
 * do not move with the height, so no wire moves. e2e/node_geometry.spec.ts checks these
 * numbers against the browser's measurement, so a style change cannot leave them stale.
 */
// Types only: e2e/node_geometry.spec.ts imports these numbers into Playwright's Node process.
import type { NodeHandle, Position } from "@xyflow/react";
import type { InputMode } from "../api/types";
import type { FlowNode } from "./flowDoc";

export const WORKFLOW_NODE_BOX = { width: 200, height: 42 };

const HANDLE = { size: 12, top: 22 };

export const SOURCE_HANDLE: NodeHandle = {
  type: "source", position: "right" as Position,
  x: WORKFLOW_NODE_BOX.width - HANDLE.size / 2, y: HANDLE.top - HANDLE.size / 2, width: HANDLE.size, height: HANDLE.size,
};
export const TARGET_HANDLE: NodeHandle = {
  type: "target", position: "left" as Position,
  x: -HANDLE.size / 2, y: HANDLE.top - HANDLE.size / 2, width: HANDLE.size, height: HANDLE.size,
};
/** Shared arrays: React Flow only reads them. A node that takes no input has no target handle (WorkflowNodeView). */
const HANDLES_WITH_INPUT: NodeHandle[] = [TARGET_HANDLE, SOURCE_HANDLE];
const HANDLES_WITHOUT_INPUT: NodeHandle[] = [SOURCE_HANDLE];

/**
 * The nodes with their expected size and handles, for React Flow's first render. Notes
 * keep theirs (they carry their own width and height); a node React Flow has already
 * measured keeps its measurement.
 */
export function withExpectedGeometry(nodes: FlowNode[], inputsOf: (type: string) => InputMode): FlowNode[] {
  return nodes.map((node) => {
    if (node.type !== "workflow" || node.measured) return node;
    const handles = inputsOf(node.data.spec.type) === "none" ? HANDLES_WITHOUT_INPUT : HANDLES_WITH_INPUT;
    return { ...node, measured: { ...WORKFLOW_NODE_BOX }, handles };
  });
}
