/**
 * The banner over the canvas while it shows a run's results: which run, its status, when it
 * started and which saved version ran, a warning when that is not the version on the canvas
 * (with a diff of the two), a link to the run's detail page, and Close.
 */
import { useState } from "react";
import { api, describeError } from "../api/client";
import { isActiveRun } from "../api/runEvents";
import type { VersionInfo } from "../api/types";
import { hrefFor } from "../router";
import { formatTime } from "../ui/format";
import { selectDirty, useEditor } from "./editorStore";
import { versionNote } from "./runBanner";
import { VersionDiffView } from "./VersionDiffView";
import { closeRun } from "./workflowSession";
import "./runBanner.css";

export function RunBanner() {
  const run = useEditor((s) => s.run);
  const meta = useEditor((s) => s.meta);
  const dirty = useEditor(selectDirty);
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  if (!run || !meta) return null;
  const note = versionNote(run.workflowVersion, meta.version, dirty);
  const compare = () => {
    api.listVersions(meta.id).then(
      (v) => setVersions([...v].sort((a, b) => b.version - a.version)),
      (e) => useEditor.getState().showToast(`Could not list the versions of ${meta.id}: ${describeError(e)}`, "error"),
    );
  };
  return (
    <div className={`run-banner${note ? " run-banner-other-version" : ""}`} data-testid="run-banner">
      <span>
        Showing run <a href={hrefFor({ page: "run", runId: run.runId })} data-testid="run-banner-link">{run.runId}</a>{" "}
        <span className={`badge badge-${run.status}`}>{run.status}</span>
        {" · started "}<span data-testid="run-banner-time">{run.startedAt ? formatTime(run.startedAt) : "…"}</span>
        {" · "}<span data-testid="run-banner-version">version {run.workflowVersion ?? "…"}</span>
      </span>
      {note && <span className="run-banner-note" data-testid="run-banner-note">{note}</span>}
      <span className="spacer" />
      {note && run.workflowVersion && run.workflowVersion !== meta.version && (
        <button type="button" className="small" onClick={compare} data-testid="run-banner-compare">Compare v{run.workflowVersion} with v{meta.version}</button>
      )}
      {/* While the run is active the toolbar's Cancel belongs to it: it stays shown until it ends. */}
      {!isActiveRun(run.status) && (
        <button type="button" className="small" onClick={closeRun} data-testid="run-banner-close" title="Stop showing this run's results on the canvas">Close</button>
      )}
      {versions && run.workflowVersion && (
        <VersionDiffView workflowId={meta.id} versions={versions} before={run.workflowVersion} after={meta.version} onClose={() => setVersions(null)} />
      )}
    </div>
  );
}
