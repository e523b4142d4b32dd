import { describe, expect, it } from "vitest";
import { layoutLeftToRight } from "../../src/graph/layout";
import { layoutElkLayered } from "../../src/graph/elkLayout";

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

describe("layoutElkLayered", () => {
  it("places every node downstream to the right of its inputs, without overlaps", async () => {
    const nodes = ["a", "b", "c", "d", "e"].map((id) => ({ id, width: 200, height: 56 }));
    const edges = [
      { source: "a", target: "b" }, { source: "a", target: "c" }, { source: "b", target: "d" },
      { source: "c", target: "d" }, { source: "d", target: "e" }, { source: "x", target: "a" },
    ];
    const positions = await layoutElkLayered(nodes, edges);
    expect([...positions.keys()].sort()).toEqual(["a", "b", "c", "d", "e"]);
    for (const edge of edges.filter((e) => e.source !== "x")) {
      expect(positions.get(edge.target)!.x).toBeGreaterThanOrEqual(positions.get(edge.source)!.x + 200);
    }
    const rects = [...positions.values()];
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const [p, q] = [rects[i], rects[j]];
        const overlap = p.x < q.x + 200 && q.x < p.x + 200 && p.y < q.y + 56 && q.y < p.y + 56;
        expect(overlap).toBe(false);
      }
    }
  });
});
