/** The side panel when no node is inspected: workflow details, problems, schedule, runs, versions. */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { Run, VersionError, VersionInfo, Workflow } from "../api/types";
import { cleanWorkflow } from "../api/workflowDoc";
import { Modal } from "../ui/Modal";
import { ScheduleEditor } from "../schedule/ScheduleEditor";
import { formatDuration, formatTime, runDurationSeconds, triggerKind } from "../ui/format";
import { useEditor } from "./editorStore";
import { restoreVersion, showRun } from "./workflowSession";
import { askConfirm } from "../ui/confirmDialog";
import { hrefFor } from "../router";
import { Skeleton } from "../ui/Skeleton";
import { VersionDiffView } from "./VersionDiffView";

type Tab = "details" | "schedule" | "runs" | "versions";

export function WorkflowPanel() {
  const [tab, setTab] = useState<Tab>("details");
  return (
    <div className="workflow-panel" data-testid="workflow-panel">
      <div className="panel-tabs">
        {(["details", "schedule", "runs", "versions"] as Tab[]).map((t) => (
          <button key={t} type="button" className={tab === t ? "active" : ""} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </div>
      {tab === "details" && <DetailsTab />}
      {tab === "schedule" && <ScheduleTab />}
      {tab === "runs" && <RunsTab />}
      {tab === "versions" && <VersionsTab />}
    </div>
  );
}

function DetailsTab() {
  const meta = useEditor((s) => s.meta)!;
  const problems = useEditor((s) => s.problems);
  const updateMeta = useEditor((s) => s.updateMeta);
  const inspect = useEditor((s) => s.inspect);
  return (
    <div>
      <label>Name<input value={meta.name} onChange={(e) => updateMeta({ name: e.target.value }, "name")} /></label>
      <label>Description
        <textarea rows={3} value={meta.description} onChange={(e) => updateMeta({ description: e.target.value }, "description")} />
      </label>
      <WebhookInfo workflowId={meta.id} />
      <h4>Problems</h4>
      {problems.length === 0 ? <p className="muted" data-testid="no-problems">No problems.</p> : (
        <ul className="problems" data-testid="workflow-problems">
          {problems.map((p, i) => (
            <li key={i}>
              {p.node ? <a href="#" onClick={(e) => { e.preventDefault(); inspect(p.node!); }}>{p.node}</a> : null}
              {p.node ? ": " : ""}{p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ScheduleTab() {
  const meta = useEditor((s) => s.meta)!;
  const updateMeta = useEditor((s) => s.updateMeta);
  return <ScheduleEditor schedule={meta.schedule} onChange={(schedule, field) => updateMeta({ schedule }, `schedule:${field}`)} />;
}

function RunsTab() {
  const workflowId = useEditor((s) => s.meta!.id);
  const liveStatus = useEditor((s) => s.run?.status);
  const liveRunId = useEditor((s) => s.run?.runId);
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listRuns({ workflow_id: workflowId, limit: 30 }).then(setRuns, (e) => { setError(describeError(e)); setRuns((r) => r ?? []); });
  }, [workflowId, liveStatus, liveRunId]);
  return (
    <div data-testid="run-history">
      {error && <p className="error">{error}</p>}
      {runs === null && <Skeleton rows={4} label="Loading runs" />}
      {runs?.length === 0 && !error && <p className="muted">No runs yet.</p>}
      <ul className="run-list">
        {(runs ?? []).map((run) => (
          <li key={run.id} className={run.id === liveRunId ? "current" : ""}>
            <a href="#" onClick={(e) => { e.preventDefault(); void showRun(run.id); }}>
              <span className={`badge badge-${run.status}`}>{run.status}</span> {formatTime(run.started_at)}
            </a>
            <small className="muted"> v{run.workflow_version} · {triggerKind(run.trigger) || "manual"} {formatDuration(runDurationSeconds(run))}</small>
            {" "}<a className="small" href={hrefFor({ page: "run", runId: run.id })} data-testid={`run-details-${run.id}`}>details</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function VersionsTab() {
  const workflowId = useEditor((s) => s.meta!.id);
  const version = useEditor((s) => s.meta!.version);
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [viewing, setViewing] = useState<Workflow | null>(null);
  const [comparing, setComparing] = useState<{ before: number; after: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.listVersions(workflowId).then((v) => setVersions([...v].sort((a, b) => b.version - a.version)), (e) => setError(describeError(e)));
  }, [workflowId, version]);
  return (
    <div data-testid="versions">
      {error && <p className="error">{error}</p>}
      {viewing && (
        <Modal title={`Version ${viewing.version}`} onClose={() => setViewing(null)} testId="version-view">
          <pre className="json">{JSON.stringify(cleanWorkflow(viewing), null, 2)}</pre>
          <div className="modal-actions"><button type="button" onClick={() => setViewing(null)}>Close</button></div>
        </Modal>
      )}
      {comparing && (
        <VersionDiffView workflowId={workflowId} versions={versions} before={comparing.before} after={comparing.after}
                         onClose={() => setComparing(null)} />
      )}
      <ul className="run-list">
        {versions.map((v, i) => (
          <li key={v.version} data-testid={`version-${v.version}`}>
            <b>v{v.version}</b> <small className="muted">{formatTime(v.saved_at)}</small>{" "}
            <VersionValidity version={v} />
            <button type="button" className="small" onClick={() => {
              api.getVersion(workflowId, v.version).then((doc) => setViewing(doc), (e) => setError(describeError(e)));
            }}>View</button>
            {versions.length > 1 && (
              // Against the version before it (the oldest: against the newest); any two can be picked in the diff.
              <button type="button" className="small" data-testid={`version-diff-${v.version}`} onClick={() => setComparing(
                i + 1 < versions.length ? { before: versions[i + 1].version, after: v.version } : { before: v.version, after: versions[0].version },
              )}>Diff</button>
            )}
            {v.version === version ? <small> (current)</small> : (
              <button type="button" className="small" onClick={async () => {
                if (await askConfirm({ title: `Restore version ${v.version}?`, message: "It becomes a new version; unsaved changes are dropped.", confirmLabel: "Restore" })) {
                  restoreVersion(v.version).catch((e) => setError(describeError(e)));
                }
              }}>Restore</button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** "invalid" with its errors when the server marked a saved version invalid (it cannot be scheduled). */
function VersionValidity({ version }: { version: VersionInfo }) {
  if (version.valid !== false) return null;
  const errors = version.errors ?? [];
  return (
    <>
      <span className="badge badge-failed" title={errors.map(problemText).join("\n") || "invalid"}
            data-testid={`version-invalid-${version.version}`}>invalid</span>
      {errors.length > 0 && <ul className="problems small">{errors.map((e, i) => <li key={i}>{problemText(e)}</li>)}</ul>}
    </>
  );
}

function problemText(problem: VersionError): string {
  const node = problem.node_id ?? problem.node;
  return `${node ? `${node}: ` : ""}${problem.message}${problem.line ? ` (line ${problem.line})` : ""}`;
}

function WebhookInfo({ workflowId }: { workflowId: string }) {
  const [hook, setHook] = useState<{ url: string } | null>(null);
  useEffect(() => {
    api.webhook(workflowId).then(setHook, () => setHook(null));
  }, [workflowId]);
  if (!hook) return null;
  const url = hook.url.startsWith("http") ? hook.url : `${window.location.origin}${hook.url}`;
  return (
    <div className="webhook">
      <h4>Webhook trigger</h4>
      <p className="small muted">POST JSON here to run the saved workflow; the body becomes the trigger payload.</p>
      <code data-testid="webhook-url">{url}</code>
    </div>
  );
}
