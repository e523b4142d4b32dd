/**
 * A run's nodes on one time axis (run detail page): a bar per node from its start for its
 * duration, coloured by status; nodes with no time of their own (reused, pinned, skipped,
 * not run) say so instead of a bar. Clicking a row opens that node's detail below.
 */
import type { NodeRun } from "../api/types";
import { formatDuration } from "../ui/format";
import { ganttLayout } from "./runGantt";
import "./runDetail.css";

interface Props {
  run: { started_at: string | null; ended_at: string | null };
  nodes: NodeRun[];
  labelOf: (nodeId: string) => string;
  onPick: (nodeId: string) => void;
}

export function RunGantt({ run, nodes, labelOf, onPick }: Props) {
  const layout = ganttLayout(run, nodes);
  const attempts = new Map(nodes.map((n) => [n.node_id, n.attempts]));
  // Retries are part of a node's bar: it spans every attempt.
  const tries = (id: string) => ((attempts.get(id) ?? 1) > 1 ? ` in ${attempts.get(id)} attempts` : "");
  return (
    <div className="gantt" data-testid="run-gantt">
      <div className="gantt-row gantt-axis">
        <span className="gantt-label" />
        <span className="gantt-track">
          {layout.ticks.map((t) => (
            <span key={t} className="gantt-tick" style={{ left: `${(t / (layout.spanS || 1)) * 100}%` }}>{formatDuration(t) || "0"}</span>
          ))}
        </span>
        <span className="gantt-duration" />
      </div>
      {layout.bars.map((bar) => (
        <div key={bar.nodeId} className="gantt-row clickable" data-testid={`gantt-${bar.nodeId}`} onClick={() => onPick(bar.nodeId)}
             title={bar.startS === null ? `${labelOf(bar.nodeId)}: ${bar.status}` : `${labelOf(bar.nodeId)}: started at +${formatDuration(bar.startS) || "0 ms"}, ran ${formatDuration(bar.durationS)}${tries(bar.nodeId)}`}>
          <span className="gantt-label">{labelOf(bar.nodeId)}</span>
          <span className="gantt-track">
            {bar.startS === null
              ? <span className={`gantt-none badge badge-${bar.status}`}>{bar.status.replace("_", " ")}</span>
              : <span className={`gantt-bar gantt-${bar.status}`} style={{ left: `${bar.left * 100}%`, width: `${bar.width * 100}%` }} />}
          </span>
          <span className="gantt-duration">{bar.durationS === null ? "" : formatDuration(bar.durationS)}{tries(bar.nodeId) ? ` ×${attempts.get(bar.nodeId)}` : ""}</span>
        </div>
      ))}
    </div>
  );
}
