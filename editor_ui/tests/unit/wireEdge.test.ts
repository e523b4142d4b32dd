import { describe, expect, it } from "vitest";
import { Position, type EdgeProps } from "@xyflow/react";
import { sameWire } from "../../src/editor/WireEdge";

const wire = (patch: Partial<EdgeProps> = {}): EdgeProps => ({
  id: "e1", source: "a", target: "b", sourceX: 194, sourceY: 16, targetX: 434, targetY: 106,
  sourcePosition: Position.Right, targetPosition: Position.Left, selected: false, markerEnd: "url(#m)", ...patch,
} as EdgeProps);

describe("a wire is drawn again only when what it shows changes", () => {
  it("ignores float noise in the handle positions (React Flow's measuring pass)", () => {
    expect(sameWire(wire(), wire({ sourceX: 193.99998735841424, targetY: 106.000004 }))).toBe(true);
  });

  it("redraws for a moved end, a selection or another prop", () => {
    expect(sameWire(wire(), wire({ targetX: 440 }))).toBe(false);
    expect(sameWire(wire(), wire({ sourceY: 16.2 }))).toBe(false);
    expect(sameWire(wire(), wire({ selected: true }))).toBe(false);
    expect(sameWire(wire(), wire({ style: { stroke: "red" } }))).toBe(false);
    expect(sameWire(wire(), { ...wire(), label: "x" } as EdgeProps)).toBe(false);
  });
});
