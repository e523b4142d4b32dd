/**
 * The canvas's wire: xyflow's orthogonal (smoothstep) wire, drawn again only when what it
 * shows changes. React Flow measures every node right after a workflow opens and hands each
 * wire its handle positions again, differing from the first ones by float noise (1e-5 px,
 * from dividing by the zoom); compared to 1/100 px, those 1,000 wires are not re-routed
 * and their SVG paths are not rewritten (the page answers sooner after opening).
 */
import { memo } from "react";
import { SmoothStepEdge, type EdgeProps } from "@xyflow/react";

const COORDINATES = new Set(["sourceX", "sourceY", "targetX", "targetY"]);
const round = (value: number) => Math.round(value * 100) / 100;

function WireEdgeImpl(props: EdgeProps) {
  return <SmoothStepEdge {...props} sourceX={round(props.sourceX)} sourceY={round(props.sourceY)}
                         targetX={round(props.targetX)} targetY={round(props.targetY)} />;
}

/** Same props (the coordinates to 1/100 px): the same drawing. */
export function sameWire(before: EdgeProps, after: EdgeProps): boolean {
  const keys = Object.keys(after) as (keyof EdgeProps)[];
  if (Object.keys(before).length !== keys.length) return false;
  for (const key of keys) {
    if (COORDINATES.has(key)) {
      if (round(before[key] as number) !== round(after[key] as number)) return false;
    } else if (!Object.is(before[key], after[key])) return false;
  }
  return true;
}

export const WireEdge = memo(WireEdgeImpl, sameWire);
