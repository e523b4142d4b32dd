/** Runs across workflows: filter, list, and per-workflow charts of duration and records over time. */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { Run, RunStatus, WorkflowListItem } from "../api/types";
import { hrefFor, navigate } from "../router";
import { formatDuration, formatTime, runDurationSeconds, triggerKind } from "../ui/format";
import { RunChart } from "./RunChart";
import type { RunPoint } from "./runChart";

const CHART_RUNS = 30;

const STATUS_FILTERS: RunStatus[] = ["running", "completed", "failed", "cancelled"];

export function RunsPage({ workflowId }: { workflowId?: string }) {
  const [workflows, setWorkflows] = useState<WorkflowListItem[]>([]);
  const [status, setStatus] = useState<RunStatus | "">("");
  const [runs, setRuns] = useState<Run[]>([]);
  const [records, setRecords] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | null>(null);

  useEffect(() => void api.listWorkflows().then(setWorkflows, () => undefined), []);
  useEffect(() => {
    api.listRuns({ workflow_id: workflowId, status: status || undefined, limit: 100 }).then(setRuns, (e) => setError(describeError(e)));
  }, [workflowId, status]);

  // Record counts are per node: fetch run details for the charted runs only.
  useEffect(() => {
    if (!workflowId) return;
    let alive = true;
    const recent = runs.slice(0, CHART_RUNS);
    Promise.allSettled(recent.map((r) => api.getRun(r.id))).then((results) => {
      if (!alive) return;
      const counts: Record<string, number> = {};
      for (const result of results) {
        if (result.status !== "fulfilled") continue;
        counts[result.value.id] = (result.value.nodes ?? []).reduce((sum, n) => sum + (n.records_out ?? 0), 0);
      }
      setRecords(counts);
    });
    return () => {
      alive = false;
    };
  }, [runs, workflowId]);

  const charted = runs.slice(0, CHART_RUNS).filter((r) => r.started_at);
  const durationPoints: RunPoint[] = charted
    .filter((r) => runDurationSeconds(r) !== null)
    .map((r) => ({ time: Date.parse(r.started_at!), value: runDurationSeconds(r)!, status: r.status, label: formatTime(r.started_at) }));
  const recordPoints: RunPoint[] = charted
    .filter((r) => records[r.id] !== undefined)
    .map((r) => ({ time: Date.parse(r.started_at!), value: records[r.id], status: r.status, label: formatTime(r.started_at) }));

  return (
    <div className="page" data-testid="runs-page">
      <h1>Runs</h1>
      <div className="row">
        <select value={workflowId ?? ""} onChange={(e) => navigate({ page: "runs", workflowId: e.target.value || undefined })}>
          <option value="">All workflows</option>
          {workflows.map((w) => <option key={w.id} value={w.id}>{w.name || w.id}</option>)}
        </select>
        <select value={status} onChange={(e) => setStatus(e.target.value as RunStatus | "")}>
          <option value="">Any status</option>
          {STATUS_FILTERS.map((s) => <option key={s}>{s}</option>)}
        </select>
      </div>
      {error && <p className="error">{error}</p>}
      {workflowId ? (
        <div className="charts">
          <RunChart title="Duration" unit="s" points={durationPoints} />
          <RunChart title="Records out" unit="records" points={recordPoints} />
        </div>
      ) : <p className="muted">Pick a workflow to chart its run durations and record counts.</p>}
      <table className="list">
        <thead><tr><th>Started</th><th>Workflow</th><th>Status</th><th>Trigger</th><th>Duration</th><th>Error</th></tr></thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>{formatTime(r.started_at)}</td>
              <td><a href={hrefFor({ page: "editor", workflowId: r.workflow_id })}>{r.workflow_id}</a> v{r.workflow_version}</td>
              <td><span className={`badge badge-${r.status}`}>{r.status}</span></td>
              <td>{triggerKind(r.trigger)}</td>
              <td>{formatDuration(runDurationSeconds(r))}</td>
              <td className="error small">{r.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
