/**
 * The node detail view (double-click a node, or Enter with it selected): the node's input in
 * a run on the left, its settings and code in the middle, its output on the right, in
 * resizable panes of a dialog that can go full screen. Any run of the workflow can be picked
 * (default: the run the canvas shows, else the latest); from here the node can run from
 * here or alone, its output be pinned, and it can be disabled.
 */
import { useEffect, useMemo, useState } from "react";
import { api, describeError } from "../api/client";
import { isActiveRun } from "../api/runEvents";
import type { LiveNodeRun, NodeRun, Run } from "../api/types";
import { RunRecords } from "../ui/RunRecords";
import { SplitPanes } from "../ui/SplitPanes";
import { WideDialog } from "../ui/WideDialog";
import { formatDuration, formatTime, nodeErrorText } from "../ui/format";
import { useEditor } from "./editorStore";
import { isWorkflowNode } from "./flowDoc";
import { NodeSettings } from "./NodeSettings";
import { canPinStatus } from "./runBanner";
import { pinOutput, runPartial, toggleDisabled, unpinNode } from "./workflowSession";
import "./nodeDetail.css";

export function NodeDetailView({ nodeId, onClose }: { nodeId: string; onClose: () => void }) {
  const spec = useEditor((s) => {
    const node = s.nodes.find((n) => n.id === nodeId);
    return node && isWorkflowNode(node) ? node.data.spec : undefined;
  });
  const workflowId = useEditor((s) => s.meta?.id ?? "");
  const live = useEditor((s) => s.run);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [runId, setRunId] = useState<string | null>(live?.runId ?? null);
  const [fetched, setFetched] = useState<{ run: Run; node: NodeRun | null } | null>(null);
  const [error, setError] = useState<string | null>(null);

  // The canvas moved to another run (e.g. Run from here in this view): the view follows it.
  useEffect(() => {
    if (live?.runId) setRunId(live.runId);
  }, [live?.runId]);

  useEffect(() => {
    let alive = true;
    api.listRuns({ workflow_id: workflowId, limit: 30 }).then((list) => {
      if (!alive) return;
      setRuns(list);
      setRunId((current) => current ?? list[0]?.id ?? null);
    }, (e) => alive && setError(`Could not list the runs of ${workflowId}: ${describeError(e)}`));
    return () => {
      alive = false;
    };
  }, [workflowId, live?.runId]);

  // A run other than the canvas's: read its detail for this node's status and counts.
  const isLive = !!live && live.runId === runId;
  useEffect(() => {
    if (!runId || isLive) return;
    let alive = true;
    setFetched(null);
    api.getRun(runId).then(
      (run) => alive && setFetched({ run, node: run.nodes.find((n) => n.node_id === nodeId) ?? null }),
      (e) => alive && setError(`Could not read run ${runId} of ${workflowId}: ${describeError(e)}`),
    );
    return () => {
      alive = false;
    };
  }, [runId, isLive, nodeId, workflowId]);

  const nodeRun: LiveNodeRun | NodeRun | null = isLive ? live!.nodes[nodeId] ?? null : fetched?.node ?? null;
  const runStatus = isLive ? live!.status : fetched?.run.status;
  const runVersion = isLive ? live!.workflowVersion : fetched?.run.workflow_version;
  const runStarted = isLive ? live!.startedAt : fetched?.run.started_at;
  // The records are read again when the node's status changes (a live run finishing it).
  const dataKey = `${runId}:${nodeRun?.status ?? ""}`;
  const name = spec ? spec.label || spec.id : nodeId;
  const runOptions = useMemo(() => {
    const list = runs ?? [];
    return runId && !list.some((r) => r.id === runId) ? [{ id: runId, started_at: runStarted ?? null, status: runStatus, workflow_version: runVersion } as Run, ...list] : list;
  }, [runs, runId, runStarted, runStatus, runVersion]);

  if (!spec) return null;
  const reuse = runId && runStatus && !isActiveRun(runStatus) ? runId : undefined;
  const pinnable = !!runId && canPinStatus(runStatus, nodeRun?.status);

  const actions = (
    <>
      <select value={runId ?? ""} onChange={(e) => setRunId(e.target.value || null)} data-testid="detail-run" aria-label="Run shown">
        {!runOptions.length && <option value="">no runs yet</option>}
        {runOptions.map((r) => (
          <option key={r.id} value={r.id}>{formatTime(r.started_at)} · {r.status} · v{r.workflow_version}</option>
        ))}
      </select>
      <button type="button" onClick={() => void runPartial(nodeId, "start_at", reuse)} data-testid="detail-run-from-here"
              title="Run this node and everything after it; the nodes before it are not run, their outputs come from the run shown">Run from here</button>
      <button type="button" onClick={() => void runPartial(nodeId, "only", reuse)} data-testid="detail-run-only"
              title="Run only this node, on its input in the run shown">Run this node</button>
      {spec.pinned ? (
        <button type="button" onClick={() => unpinNode(nodeId)} data-testid="detail-unpin">Unpin ({spec.pinned.length})</button>
      ) : (
        <button type="button" disabled={!pinnable} onClick={() => runId && void pinOutput(nodeId, runId)} data-testid="detail-pin"
                title={pinnable ? "Manual runs emit these records instead of running the node" : "Pick a finished run in which this node put out records"}>
          Pin this output
        </button>
      )}
      <button type="button" onClick={() => toggleDisabled([nodeId])} data-testid="detail-disable">{spec.disabled ? "Enable" : "Disable"}</button>
    </>
  );

  return (
    <WideDialog title={<>{name} <small className="muted">{spec.type}</small></>} actions={actions} onClose={onClose} testId="node-detail">
      {error && <p className="error detail-error">{error}</p>}
      <SplitPanes id="nodeDetail" panes={[
        {
          key: "input",
          content: (
            <section className="detail-pane">
              <h3>Input</h3>
              {runId ? <RunRecords key={`input:${dataKey}`} runId={runId} nodeId={nodeId} side="input" nodeName={name} /> : <NoRun />}
            </section>
          ),
        },
        {
          key: "settings",
          content: (
            <section className="detail-pane detail-settings">
              <h3>Settings{spec.disabled ? <span className="badge badge-skipped"> disabled</span> : null}
                {spec.pinned ? <span className="badge badge-pinned" data-testid="detail-pin-badge"> {spec.pinned.length} pinned</span> : null}</h3>
              <NodeSettings nodeId={nodeId} showTitle={false} />
            </section>
          ),
        },
        {
          key: "output",
          content: (
            <section className="detail-pane">
              <h3>Output {nodeRun && <NodeResult node={nodeRun} />}</h3>
              {nodeRun?.error && <NodeError node={nodeRun} />}
              {runId ? <RunRecords key={`output:${dataKey}`} runId={runId} nodeId={nodeId} side="output" nodeName={name} /> : <NoRun />}
              {runId && <NodeLogsBox key={`logs:${dataKey}`} runId={runId} nodeId={nodeId} />}
            </section>
          ),
        },
      ]} />
    </WideDialog>
  );
}

function NoRun() {
  return <p className="muted">No run yet: run the workflow to see what this node takes in and puts out.</p>;
}

function NodeResult({ node }: { node: LiveNodeRun | NodeRun }) {
  return (
    <small className="detail-result" data-testid="detail-node-status">
      <span className={`badge badge-${node.status}`}>{node.status.replace("_", " ")}</span>{" "}
      {node.records_in ?? "–"} in → {node.records_out ?? "–"} out {formatDuration(node.duration_s)}
      {node.attempts && node.attempts > 1 ? ` · ${node.attempts} attempts` : ""}
    </small>
  );
}

function NodeError({ node }: { node: LiveNodeRun | NodeRun }) {
  const error = node.error!;
  return (
    <div className="run-error" data-testid="detail-node-error">
      <strong>{nodeErrorText(error)}</strong>
      {error.line ? <div>at line {error.line}{error.record_id ? ` for record “${error.record_id}”` : ""}</div> : null}
      {error.source_line ? <pre>{error.line}: {error.source_line}</pre> : null}
    </div>
  );
}

/** The node's log lines in the run, folded away until opened. */
function NodeLogsBox({ runId, nodeId }: { runId: string; nodeId: string }) {
  const [logs, setLogs] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    api.nodeLogs(runId, nodeId).then((l) => alive && setLogs(l.logs), () => alive && setLogs(""));
    return () => {
      alive = false;
    };
  }, [runId, nodeId]);
  if (!logs) return null;
  return (
    <details className="detail-logs">
      <summary>Logs</summary>
      <pre className="logs" data-testid="detail-logs">{logs}</pre>
    </details>
  );
}
