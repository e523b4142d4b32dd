/**
 * Run metrics over time: what a run's "records out" is (its final nodes' output, not the
 * sum over every node, which counts each record once per step) and scaling points to SVG
 * coordinates.
 */

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

/** The nodes no wire leaves: what a workflow finally produces. */
export function finalNodeIds(doc: { nodes: readonly { id: string }[]; edges: readonly { source: string }[] }): string[] {
  const hasOutgoing = new Set(doc.edges.map((e) => e.source));
  return doc.nodes.map((n) => n.id).filter((id) => !hasOutgoing.has(id));
}

/**
 * Records out of the run's final nodes (null when none of them reported a count, e.g. a
 * run that failed before them). Summing every node would count a record once per step.
 */
export function finalRecordsOut(nodes: readonly { node_id: string; records_out: number | null }[], finalIds: readonly string[]): number | null {
  const wanted = new Set(finalIds);
  let total: number | null = null;
  for (const node of nodes) {
    if (wanted.has(node.node_id) && node.records_out !== null) total = (total ?? 0) + node.records_out;
  }
  return total;
}
