import { describe, expect, it } from "vitest";
import { freeOffset, freePosition, NODE_SIZE, overlaps, type Rect } from "../../src/graph/placement";

const node = (x: number, y: number): Rect => ({ x, y, ...NODE_SIZE });

describe("placement", () => {
  it("keeps the wanted place when it is free", () => {
    expect(freePosition({ x: 0, y: 0 }, [node(500, 500)])).toEqual({ x: 0, y: 0 });
  });

  it("moves a node off another one to the nearest free spot", () => {
    const occupied = [node(0, 0)];
    const placed = freePosition({ x: 10, y: 10 }, occupied);
    expect(occupied.some((o) => overlaps({ ...placed, ...NODE_SIZE }, o))).toBe(false);
    // Nearest: just below, not far away.
    expect(Math.abs(placed.x - 10)).toBeLessThan(NODE_SIZE.width);
    expect(placed.y).toBeGreaterThan(0);
    expect(placed.y).toBeLessThan(200);
  });

  it("finds the free spot in a crowded area", () => {
    const occupied: Rect[] = [];
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) occupied.push(node(i * 220, j * 76));
    const placed = freePosition({ x: 220, y: 76 }, occupied);
    expect(occupied.some((o) => overlaps({ ...placed, ...NODE_SIZE }, o))).toBe(false);
  });

  it("moves a pasted group as one so none of its nodes overlaps", () => {
    const originals = [node(0, 0), node(280, 0)];
    const offset = freeOffset(originals, originals, { x: 40, y: 40 });
    const pasted = originals.map((r) => ({ ...r, x: r.x + offset.x, y: r.y + offset.y }));
    for (const p of pasted) expect(originals.some((o) => overlaps(p, o))).toBe(false);
  });
});
