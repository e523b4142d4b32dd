/** Scaling of run metrics (duration, records) over time to SVG coordinates. */

export interface RunPoint {
  time: number; // ms since epoch
  value: number;
  status: string;
  label: string;
}

export interface ChartBox {
  width: number;
  height: number;
  padding: number;
}

export interface PlottedPoint extends RunPoint {
  x: number;
  y: number;
}

/** Points in time order, x by time, y by value (0 at the bottom), inside the padded box. */
export function plotPoints(points: readonly RunPoint[], box: ChartBox): { points: PlottedPoint[]; max: number } {
  const sorted = [...points].sort((a, b) => a.time - b.time);
  if (!sorted.length) return { points: [], max: 0 };
  const t0 = sorted[0].time;
  const t1 = sorted[sorted.length - 1].time;
  const max = Math.max(...sorted.map((p) => p.value), 0) || 1;
  const innerW = box.width - 2 * box.padding;
  const innerH = box.height - 2 * box.padding;
  return {
    max,
    points: sorted.map((p, i) => ({
      ...p,
      // One run (or all at one instant): spread evenly so points stay visible.
      x: box.padding + (t1 > t0 ? ((p.time - t0) / (t1 - t0)) * innerW : sorted.length > 1 ? (i / (sorted.length - 1)) * innerW : innerW / 2),
      y: box.padding + innerH - (p.value / max) * innerH,
    })),
  };
}
