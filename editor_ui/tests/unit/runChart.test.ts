import { describe, expect, it } from "vitest";
import { finalNodeIds, finalRecordsOut, plotPoints } from "../../src/pages/runChart";

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

describe("records out of a run", () => {
  // The stock-news flow: scrape → save → new_articles → sentiment → count → slack.
  const ids = ["scrape", "save", "new_articles", "sentiment", "count", "slack"];
  const doc = { nodes: ids.map((id) => ({ id })), edges: ids.slice(1).map((target, i) => ({ source: ids[i], target })) };
  const nodes = [
    { node_id: "scrape", records_out: 12 }, { node_id: "save", records_out: 12 }, { node_id: "new_articles", records_out: 12 },
    { node_id: "sentiment", records_out: 12 }, { node_id: "count", records_out: 1 }, { node_id: "slack", records_out: 1 },
  ];
  it("counts the final nodes' output, not every node's (50 for 12 articles)", () => {
    expect(finalNodeIds(doc)).toEqual(["slack"]);
    expect(finalRecordsOut(nodes, finalNodeIds(doc))).toBe(1);
  });
  it("adds up several final nodes, and is null when none reported", () => {
    expect(finalRecordsOut(nodes, ["count", "slack"])).toBe(2);
    expect(finalRecordsOut([{ node_id: "slack", records_out: null }], ["slack"])).toBeNull();
  });
});
