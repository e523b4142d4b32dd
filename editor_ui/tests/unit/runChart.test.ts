import { describe, expect, it } from "vitest";
import { plotPoints } from "../../src/pages/runChart";

const box = { width: 120, height: 70, padding: 10 };

describe("plotPoints", () => {
  it("puts the earliest run left, the latest right, 0 at the bottom and the max at the top", () => {
    const { points, max } = plotPoints(
      [
        { time: 3000, value: 4, status: "completed", label: "c" },
        { time: 1000, value: 2, status: "failed", label: "a" },
        { time: 2000, value: 0, status: "completed", label: "b" },
      ],
      box,
    );
    expect(max).toBe(4);
    expect(points.map((p) => p.label)).toEqual(["a", "b", "c"]);
    expect(points.map((p) => p.x)).toEqual([10, 60, 110]);
    expect(points.map((p) => p.y)).toEqual([35, 60, 10]);
  });

  it("centres a single run and survives all-zero values", () => {
    const { points } = plotPoints([{ time: 5, value: 0, status: "completed", label: "only" }], box);
    expect(points[0].x).toBe(60);
    expect(points[0].y).toBe(60);
  });

  it("returns nothing for no runs", () => {
    expect(plotPoints([], box)).toEqual({ points: [], max: 0 });
  });
});
