/**
 * The layout of a run's per-node timeline (RunGantt.tsx): each node's start and duration as
 * fractions of the run's span, and round-number time ticks. Pure, so it is unit-tested.
 * A node that never started (not run, reused from another run, pinned, skipped) has no bar;
 * one still running reaches `now`.
 */

export interface GanttNodeInput {
  node_id: string;
  status: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface GanttBar {
  nodeId: string;
  status: string;
  /** Seconds from the run's start; null: the node has no time span. */
  startS: number | null;
  durationS: number | null;
  /** Left edge and width, 0..1 of the track. */
  left: number;
  width: number;
}

export interface GanttLayout {
  spanS: number;
  bars: GanttBar[];
  /** Seconds from the start at which to draw a tick, at a round step. */
  ticks: number[];
}

/** A bar is at least this wide (of the track), so a 2 ms node is still visible and clickable. */
export const MIN_BAR_WIDTH = 0.004;

function parse(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** A tick step of 1, 2 or 5 × 10^k seconds giving at most `maxTicks` intervals. */
export function tickStep(spanS: number, maxTicks = 6): number {
  if (!(spanS > 0)) return 1;
  const raw = spanS / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

export function ganttLayout(
  run: { started_at: string | null; ended_at: string | null },
  nodes: readonly GanttNodeInput[],
  now: number = Date.now(),
): GanttLayout {
  const starts = nodes.map((n) => parse(n.started_at)).filter((t): t is number => t !== null);
  const runStart = parse(run.started_at);
  const origin = Math.min(...(runStart !== null ? [runStart] : []), ...starts);
  if (!Number.isFinite(origin)) {
    return { spanS: 0, bars: nodes.map((n) => ({ nodeId: n.node_id, status: n.status, startS: null, durationS: null, left: 0, width: 0 })), ticks: [] };
  }
  const endOf = (n: GanttNodeInput) => parse(n.ended_at) ?? (parse(n.started_at) !== null ? now : null);
  const ends = nodes.map(endOf).filter((t): t is number => t !== null);
  const runEnd = parse(run.ended_at) ?? now;
  const end = Math.max(runEnd, ...ends, origin);
  const spanMs = Math.max(end - origin, 1);
  const bars = nodes.map((n): GanttBar => {
    const start = parse(n.started_at);
    if (start === null) return { nodeId: n.node_id, status: n.status, startS: null, durationS: null, left: 0, width: 0 };
    const stop = Math.max(endOf(n) ?? start, start);
    const left = (start - origin) / spanMs;
    const width = Math.min(Math.max((stop - start) / spanMs, MIN_BAR_WIDTH), 1 - Math.min(left, 1 - MIN_BAR_WIDTH));
    return { nodeId: n.node_id, status: n.status, startS: (start - origin) / 1000, durationS: (stop - start) / 1000, left, width };
  });
  const spanS = spanMs / 1000;
  const step = tickStep(spanS);
  const ticks: number[] = [];
  // Rounded so 0.1 + 0.2 style sums do not print as 0.30000000000000004.
  for (let t = 0; t <= spanS + 1e-9; t += step) ticks.push(Math.round(t * 1e6) / 1e6);
  return { spanS, bars, ticks };
}
