/**
 * Runs across workflows: filter, list (a row opens the run's detail page), and
 * per-workflow charts of duration and of the records out of the final nodes over time.
 */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { Run, RunStatus, WorkflowListItem } from "../api/types";
import { hrefFor, navigate } from "../router";
import { Skeleton } from "../ui/Skeleton";
import { formatDuration, formatTime, runDurationSeconds, triggerKind } from "../ui/format";
import { RunCapacityLine } from "./RunCapacityLine";
import { RunDataLine } from "./RunDataLine";
import { RunChart } from "./RunChart";
import { finalNodeIds, finalRecordsOut, type RunPoint } from "./runChart";

const CHART_RUNS = 30;

const STATUS_FILTERS: RunStatus[] = ["running", "completed", "failed", "cancelled"];

export function RunsPage({ workflowId }: { workflowId?: string }) {
  const [workflows, setWorkflows] = useState<WorkflowListItem[]>([]);
  const [status, setStatus] = useState<RunStatus | "">("");
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [records, setRecords] = useState<Record<string, number>>({});
  /** The final nodes of the charted runs' workflow versions, for the chart's title. */
  const [finalNodes, setFinalNodes] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => void api.listWorkflows().then(setWorkflows, () => undefined), []);
  useEffect(() => {
    setRuns(null);
    api.listRuns({ workflow_id: workflowId, status: status || undefined, limit: 100 }).then(setRuns, (e) => {
      setError(describeError(e));
      setRuns([]);
    });
  }, [workflowId, status]);

  // Record counts are per node: fetch run details for the charted runs only, and each
  // version that ran once, to know its final nodes (summing every node would count a
  // record once per step it passes).
  useEffect(() => {
    if (!workflowId || !runs) return;
    let alive = true;
    const recent = runs.slice(0, CHART_RUNS);
    const versions = [...new Set(recent.map((r) => r.workflow_version))];
    Promise.all([
      Promise.allSettled(recent.map((r) => api.getRun(r.id))),
      Promise.allSettled(versions.map((v) => api.getVersion(workflowId, v))),
    ]).then(([details, docs]) => {
      if (!alive) return;
      const finals = new Map<number, string[]>();
      docs.forEach((d, i) => d.status === "fulfilled" && finals.set(versions[i], finalNodeIds(d.value)));
      const counts: Record<string, number> = {};
      const named = new Set<string>();
      for (const result of details) {
        if (result.status !== "fulfilled") continue;
        const ids = finals.get(result.value.workflow_version);
        if (!ids) continue;
        const value = finalRecordsOut(result.value.nodes ?? [], ids);
        if (value === null) continue;
        counts[result.value.id] = value;
        ids.forEach((id) => named.add(id));
      }
      setRecords(counts);
      setFinalNodes([...named]);
    });
    return () => {
      alive = false;
    };
  }, [runs, workflowId]);

  const charted = (runs ?? []).slice(0, CHART_RUNS).filter((r) => r.started_at);
  const durationPoints: RunPoint[] = charted
    .filter((r) => runDurationSeconds(r) !== null)
    .map((r) => ({ time: Date.parse(r.started_at!), value: runDurationSeconds(r)!, status: r.status, label: formatTime(r.started_at) }));
  const recordPoints: RunPoint[] = charted
    .filter((r) => records[r.id] !== undefined)
    .map((r) => ({ time: Date.parse(r.started_at!), value: records[r.id], status: r.status, label: formatTime(r.started_at) }));

  return (
    <div className="page" data-testid="runs-page">
      <h1>Runs</h1>
      <RunCapacityLine />
      <RunDataLine />
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
          <RunChart title={finalNodes.length ? `Records out of the final node${finalNodes.length > 1 ? "s" : ""} (${finalNodes.join(", ")})` : "Records out of the final nodes"}
                    unit="records" points={recordPoints} />
        </div>
      ) : <p className="muted">Pick a workflow to chart its run durations and record counts.</p>}
      {runs === null ? <Skeleton rows={8} label="Loading runs" /> : runs.length === 0 ? <p className="muted">No runs yet.</p> : (
      <table className="list">
        <thead><tr><th>Started</th><th>Workflow</th><th>Status</th><th>Trigger</th><th>Duration</th><th>Error</th></tr></thead>
        <tbody>
          {runs.map((r) => (
            // The row opens the run; the workflow's name still links to the editor.
            <tr key={r.id} className="clickable" data-testid={`run-row-${r.id}`} onClick={() => navigate({ page: "run", runId: r.id })}>
              <td><a href={hrefFor({ page: "run", runId: r.id })} onClick={(e) => e.stopPropagation()}>{formatTime(r.started_at)}</a></td>
              <td><a href={hrefFor({ page: "editor", workflowId: r.workflow_id })} onClick={(e) => e.stopPropagation()}>{r.workflow_id}</a> v{r.workflow_version}</td>
              <td><span className={`badge badge-${r.status}`}>{r.status}</span></td>
              <td>{triggerKind(r.trigger)}</td>
              <td>{formatDuration(runDurationSeconds(r))}</td>
              <td className="error small">{r.error ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      )}
    </div>
  );
}
