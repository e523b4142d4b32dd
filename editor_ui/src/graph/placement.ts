/**
 * Where new and pasted nodes go: the free spot nearest to where they were asked for, so a
 * node never lands on top of another. Candidates are a grid of offsets around the wanted
 * place, tried nearest first; a group (a paste) moves as one.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

/** A workflow node's size before the canvas has measured it (styles.css .wf-node). */
export const NODE_SIZE = { width: 200, height: 56 };
/** Space kept between a placed node and its neighbours. */
export const PLACEMENT_GAP = 20;
/** How far right of its source an auto-connected node goes. */
export const NEXT_NODE_DX = NODE_SIZE.width + 80;

export function overlaps(a: Rect, b: Rect, gap = PLACEMENT_GAP): boolean {
  return a.x < b.x + b.width + gap && b.x < a.x + a.width + gap && a.y < b.y + b.height + gap && b.y < a.y + a.height + gap;
}

/** The offset nearest to `preferred` at which no rect of `group` overlaps any of `occupied`. */
export function freeOffset(group: readonly Rect[], occupied: readonly Rect[], preferred: Point = { x: 0, y: 0 }): Point {
  const fits = (dx: number, dy: number) =>
    group.every((g) => occupied.every((o) => !overlaps({ ...g, x: g.x + dx, y: g.y + dy }, o)));
  if (fits(preferred.x, preferred.y)) return preferred;
  // Steps of a node's height down/up and half its width sideways: a grid dense enough to
  // find the gap between two rows, coarse enough to stay cheap with 1,000 nodes.
  const stepX = NODE_SIZE.width / 2 + PLACEMENT_GAP;
  const stepY = NODE_SIZE.height / 2 + PLACEMENT_GAP;
  const candidates: Point[] = [];
  for (let col = -12; col <= 12; col++) {
    for (let row = -12; row <= 12; row++) {
      if (col || row) candidates.push({ x: preferred.x + col * stepX, y: preferred.y + row * stepY });
    }
  }
  candidates.sort((a, b) => distance(a, preferred) - distance(b, preferred));
  for (const c of candidates) if (fits(c.x, c.y)) return c;
  // Everything around is full: below everything.
  const bottom = Math.max(...occupied.map((o) => o.y + o.height), 0);
  const top = Math.min(...group.map((g) => g.y));
  return { x: preferred.x, y: bottom + PLACEMENT_GAP * 2 - top };
}

/** The free top-left corner nearest to `wanted` for one node of `size`. */
export function freePosition(wanted: Point, occupied: readonly Rect[], size = NODE_SIZE): Point {
  const offset = freeOffset([{ ...wanted, ...size }], occupied);
  return { x: Math.round(wanted.x + offset.x), y: Math.round(wanted.y + offset.y) };
}

function distance(a: Point, b: Point): number {
  // Prefer down over up and over sideways: a node lands below its neighbour, in reading order.
  const dy = a.y - b.y;
  return Math.hypot((a.x - b.x) * 1.3, dy < 0 ? dy * 1.6 : dy);
}
