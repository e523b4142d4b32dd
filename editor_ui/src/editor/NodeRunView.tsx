/** One node's result in a run: status, counts, error at the user's code line, output records and logs. */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { NodeOutput } from "../api/types";
import { RecordsTable } from "../ui/RecordsTable";
import { formatDuration, nodeErrorText } from "../ui/format";
import { useEditor } from "./editorStore";

export function NodeRunView({ runId, nodeId }: { runId: string; nodeId: string }) {
  const nodeRun = useEditor((s) => s.run?.nodes[nodeId]);
  const status = nodeRun?.status;
  const [output, setOutput] = useState<NodeOutput | null>(null);
  const [logs, setLogs] = useState<string>("");
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    // Reused, pinned and skipped nodes have an output too (from the reused run, the pin, the input).
    if (!status || !["completed", "failed", "reused", "pinned", "skipped"].includes(status)) return;
    let alive = true;
    setLoadError(null);
    Promise.allSettled([api.nodeOutput(runId, nodeId), api.nodeLogs(runId, nodeId)]).then(([out, log]) => {
      if (!alive) return;
      if (out.status === "fulfilled") setOutput(out.value);
      else setLoadError(describeError(out.reason));
      if (log.status === "fulfilled") setLogs(log.value.logs);
    });
    return () => {
      alive = false;
    };
  }, [runId, nodeId, status]);

  if (!nodeRun) return <p className="muted">This node has no result in run {runId}.</p>;
  const error = nodeRun.error;
  return (
    <div className="node-run" data-testid="node-run">
      <p>
        <span className={`badge badge-${nodeRun.status}`}>{nodeRun.status.replace("_", " ")}</span>{" "}
        {nodeRun.records_in ?? "–"} in → {nodeRun.records_out ?? "–"} out {formatDuration(nodeRun.duration_s)}
        {nodeRun.attempts && nodeRun.attempts > 1 ? ` · ${nodeRun.attempts} attempts` : ""}
      </p>
      {error && (
        <div className="run-error" data-testid="node-error">
          <strong>{nodeErrorText(error)}</strong>
          {error.line ? <div>at line {error.line}{error.record_id ? ` for record “${error.record_id}”` : ""}</div> : null}
          {error.source_line ? <pre>{error.line}: {error.source_line}</pre> : null}
        </div>
      )}
      {loadError && <p className="error">{loadError}</p>}
      {output && <><h4>Output</h4><RecordsTable records={output.records} total={output.total} /></>}
      {logs && <><h4>Logs</h4><pre className="logs" data-testid="node-logs">{logs}</pre></>}
    </div>
  );
}
