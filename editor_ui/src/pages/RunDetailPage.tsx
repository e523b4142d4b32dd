/**
 * One run in detail (`#/run/<id>`, opened from a Runs page row): its status, the workflow
 * version it ran and when, what started it, its error, a timeline of its nodes (start and
 * duration), and per node (in the workflow's order) status (reused, pinned and skipped
 * included), attempts, timings, records in/out and error; a node's row opens its logs and
 * every record of its input and output, paged. "Open in editor at this run" shows the run
 * on the canvas under a banner. Everything comes from the runs API; an active run is re-read
 * until it ends.
 */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import { isActiveRun } from "../api/runEvents";
import type { NodeLogs, NodeRun, RunDetail, Workflow } from "../api/types";
import { hrefFor } from "../router";
import { RunRecords } from "../ui/RunRecords";
import { RunGantt } from "./RunGantt";
import { Skeleton } from "../ui/Skeleton";
import { formatDuration, formatTime, nodeErrorText, runDurationSeconds, triggerKind } from "../ui/format";

const REFRESH_MS = 2000;

export function RunDetailPage({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [doc, setDoc] = useState<Workflow | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setRun(null);
    setError(null);
    const load = async () => {
      try {
        const detail = await api.getRun(runId);
        if (!alive) return;
        setRun(detail);
        if (isActiveRun(detail.status)) timer = setTimeout(() => void load(), REFRESH_MS);
      } catch (e) {
        if (alive) setError(describeError(e));
      }
    };
    void load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [runId]);

  // The version that ran: node labels, types and order (the run keeps working without it).
  const workflowId = run?.workflow_id;
  const version = run?.workflow_version;
  useEffect(() => {
    if (!workflowId || !version) return;
    let alive = true;
    api.getVersion(workflowId, version).then((d) => alive && setDoc(d), () => alive && setDoc(null));
    return () => {
      alive = false;
    };
  }, [workflowId, version]);

  if (error) return <div className="page"><p className="error" data-testid="page-error">Could not open run {runId}: {error}</p><a href="#/runs">Back to runs</a></div>;
  if (!run) return <div className="page"><h1>Run</h1><Skeleton rows={8} label="Loading the run" /></div>;

  const specs = new Map((doc?.nodes ?? []).map((n) => [n.id, n]));
  const order = new Map((doc?.nodes ?? []).map((n, i) => [n.id, i]));
  const nodes = [...run.nodes].sort((a, b) => (order.get(a.node_id) ?? 1e9) - (order.get(b.node_id) ?? 1e9));
  const duration = runDurationSeconds(run);

  return (
    <div className="page" data-testid="run-detail">
      <p className="small"><a href={hrefFor({ page: "runs", workflowId: run.workflow_id })}>← Runs of {run.workflow_id}</a></p>
      <h1>Run <span className={`badge badge-${run.status}`} data-testid="run-status">{run.status}</span></h1>
      <dl className="run-summary">
        <dt>Workflow</dt>
        <dd><a href={hrefFor({ page: "editor", workflowId: run.workflow_id })}>{doc?.name || run.workflow_id}</a> · version {run.workflow_version}</dd>
        <dt>Started</dt><dd data-testid="run-started">{formatTime(run.started_at)}</dd>
        <dt>Ended</dt><dd>{run.ended_at ? formatTime(run.ended_at) : isActiveRun(run.status) ? "still running" : "—"}</dd>
        <dt>Duration</dt><dd data-testid="run-duration">{duration === null ? "—" : formatDuration(duration)}</dd>
        <dt>Trigger</dt><dd>{triggerKind(run.trigger) || "—"}</dd>
        <dt>Run id</dt><dd className="small">{run.id}</dd>
        {(run.start_at || run.only) && <>
          {/* A partial run: the nodes before it took their outputs from the run it reused. */}
          <dt>Partial run</dt>
          <dd data-testid="run-partial">
            {run.only ? `only node ${run.only}` : `from node ${run.start_at}`}
            {run.reuse_from && <>, reusing run <a href={hrefFor({ page: "run", runId: run.reuse_from })}>{run.reuse_from}</a></>}
          </dd>
        </>}
        {run.worker && <>
          {/* a remote `wirework worker` ran it (none: the server itself did) */}
          <dt>Worker</dt>
          <dd className="small" data-testid="run-worker">{`${run.worker.name} (${run.worker.host}, pid ${run.worker.pid})`}</dd>
        </>}
        {run.error && <><dt>Error</dt><dd className="error" data-testid="run-error">{run.error}</dd></>}
      </dl>
      <div className="run-summary-actions">
        <a className="button" href={hrefFor({ page: "editor", workflowId: run.workflow_id, runId: run.id })} data-testid="open-in-editor"
           title="The editor with this run's results on the canvas, under a banner naming the run, its time and its version">Open in editor at this run</a>
      </div>
      {nodes.length > 0 && (
        <>
          <h2>Timeline</h2>
          <RunGantt run={run} nodes={nodes} labelOf={(id) => specs.get(id)?.label || id}
                    onPick={(id) => { setOpen(id); document.querySelector(`[data-testid="run-node-${CSS.escape(id)}"]`)?.scrollIntoView({ block: "nearest" }); }} />
        </>
      )}
      <h2>Nodes</h2>
      {nodes.length === 0 ? <p className="muted">No node has started yet.</p> : (
        <table className="list" data-testid="run-nodes">
          <thead><tr><th>Node</th><th>Type</th><th>Status</th><th>Attempts</th><th>Started</th><th>Duration</th><th>In</th><th>Out</th><th>Error</th></tr></thead>
          <tbody>
            {nodes.map((n) => {
              const spec = specs.get(n.node_id);
              const expanded = open === n.node_id;
              return [
                <tr key={n.node_id} className={`clickable${expanded ? " expanded" : ""}`} data-testid={`run-node-${n.node_id}`}
                    onClick={() => setOpen(expanded ? null : n.node_id)} aria-expanded={expanded}>
                  <td>{spec?.label || n.node_id}{spec?.label ? <><br /><small className="muted">{n.node_id}</small></> : null}</td>
                  <td className="small">{spec?.type ?? ""}</td>
                  <td><span className={`badge badge-${n.status}`}>{n.status.replace("_", " ")}</span></td>
                  <td>{n.attempts}</td>
                  <td className="small">{formatTime(n.started_at)}</td>
                  <td>{formatDuration(n.duration_s)}</td>
                  <td>{n.records_in}</td>
                  <td>{n.records_out}</td>
                  <td className="error small">{n.error ? `${nodeErrorText(n.error)}${n.error.line ? ` (line ${n.error.line})` : ""}` : ""}</td>
                </tr>,
                expanded && (
                  <tr key={`${n.node_id}-detail`} className="expanded">
                    <td colSpan={9}><NodeRunDetail runId={run.id} node={n} name={spec?.label || n.node_id} /></td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** A node's logs and every record of its input and output (paged), read when its row is opened. */
function NodeRunDetail({ runId, node, name }: { runId: string; node: NodeRun; name: string }) {
  const [logs, setLogs] = useState<NodeLogs | null>(null);
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    let alive = true;
    api.nodeLogs(runId, node.node_id).then((l) => alive && setLogs(l), () => undefined).finally(() => alive && setLoaded(true));
    return () => {
      alive = false;
    };
  }, [runId, node.node_id, node.status]);

  if (!loaded) return <Skeleton rows={3} label="Loading the node's logs" />;
  return (
    <div className="run-node-detail" data-testid="run-node-detail" onClick={(e) => e.stopPropagation()}>
      {node.error?.source_line && <pre className="run-error">{node.error.line}: {node.error.source_line}</pre>}
      <h4>Logs</h4>
      {logs?.logs ? <pre className="logs" data-testid="run-node-logs">{logs.logs}</pre> : <p className="muted small">No log lines.</p>}
      <div className="run-node-data">
        <div><h4>Input</h4><RunRecords key={`in:${node.status}`} runId={runId} nodeId={node.node_id} side="input" nodeName={name} /></div>
        <div><h4>Output</h4><RunRecords key={`out:${node.status}`} runId={runId} nodeId={node.node_id} side="output" nodeName={name} /></div>
      </div>
    </div>
  );
}
