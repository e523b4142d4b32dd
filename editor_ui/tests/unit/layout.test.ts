import { describe, expect, it } from "vitest";
import { layoutLeftToRight } from "../../src/graph/layout";

describe("layoutLeftToRight", () => {
  it("places every node downstream to the right of its inputs, without overlaps", () => {
    const nodes = ["a", "b", "c", "d"].map((id) => ({ id, width: 180, height: 56 }));
    const edges = [
      { source: "a", target: "b" },
      { source: "a", target: "c" },
      { source: "b", target: "d" },
      { source: "c", target: "d" },
    ];
    const positions = layoutLeftToRight(nodes, edges);
    for (const edge of edges) {
      expect(positions.get(edge.target)!.x).toBeGreaterThan(positions.get(edge.source)!.x + 180);
    }
    const b = positions.get("b")!;
    const c = positions.get("c")!;
    expect(Math.abs(b.y - c.y)).toBeGreaterThanOrEqual(56);
  });
});
