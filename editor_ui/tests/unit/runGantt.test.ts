import { describe, expect, it } from "vitest";
import { ganttLayout, MIN_BAR_WIDTH, tickStep } from "../../src/pages/runGantt";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + s * 1000).toISOString();

describe("ganttLayout", () => {
  it("places each node at its start and duration within the run's span", () => {
    const layout = ganttLayout({ started_at: at(0), ended_at: at(10) }, [
      { node_id: "a", status: "completed", started_at: at(1), ended_at: at(3) },
      { node_id: "b", status: "completed", started_at: at(3), ended_at: at(9) },
    ]);
    expect(layout.spanS).toBe(10);
    expect(layout.bars[0]).toMatchObject({ nodeId: "a", startS: 1, durationS: 2, left: 0.1, width: 0.2 });
    expect(layout.bars[1]).toMatchObject({ nodeId: "b", startS: 3, durationS: 6 });
    expect(layout.bars[1].left).toBeCloseTo(0.3);
    expect(layout.bars[1].width).toBeCloseTo(0.6);
    expect(layout.ticks).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it("gives nodes that never started (reused, pinned, not run) no bar, and a tiny node a visible one", () => {
    const layout = ganttLayout({ started_at: at(0), ended_at: at(100) }, [
      { node_id: "reused", status: "reused", started_at: null, ended_at: null },
      { node_id: "tiny", status: "completed", started_at: at(50), ended_at: at(50.001) },
    ]);
    expect(layout.bars[0]).toMatchObject({ startS: null, durationS: null, width: 0 });
    expect(layout.bars[1].width).toBe(MIN_BAR_WIDTH);
    expect(layout.bars[1].durationS).toBeCloseTo(0.001);
  });

  it("lets a running node and an active run reach now", () => {
    const now = Date.parse(at(20));
    const layout = ganttLayout({ started_at: at(0), ended_at: null }, [
      { node_id: "a", status: "running", started_at: at(10), ended_at: null },
    ], now);
    expect(layout.spanS).toBe(20);
    expect(layout.bars[0]).toMatchObject({ startS: 10, durationS: 10, left: 0.5, width: 0.5 });
  });

  it("keeps a node that started before the run's recorded start inside the track", () => {
    const layout = ganttLayout({ started_at: at(2), ended_at: at(4) }, [
      { node_id: "a", status: "completed", started_at: at(0), ended_at: at(4) },
    ]);
    expect(layout.bars[0]).toMatchObject({ left: 0, width: 1 });
  });

  it("has no ticks and no bars when nothing has a time", () => {
    const layout = ganttLayout({ started_at: null, ended_at: null }, [{ node_id: "a", status: "pending", started_at: null, ended_at: null }]);
    expect(layout.ticks).toEqual([]);
    expect(layout.bars[0].startS).toBeNull();
  });
});

describe("tickStep", () => {
  it("picks 1, 2 or 5 times a power of ten", () => {
    expect(tickStep(10)).toBe(2);
    expect(tickStep(0.3)).toBe(0.05);
    expect(tickStep(700)).toBe(200);
    expect(tickStep(0)).toBe(1);
  });
});
