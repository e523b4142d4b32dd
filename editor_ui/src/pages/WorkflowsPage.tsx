/** The workflows list: open, create, duplicate, delete, import; last run status. */
import { useCallback, useEffect, useRef, useState } from "react";
import { api, describeError } from "../api/client";
import type { Workflow, WorkflowListItem } from "../api/types";
import { cleanWorkflow } from "../api/workflowDoc";
import { navigate } from "../router";
import { formatTime } from "../ui/format";
import { askConfirm } from "../ui/confirmDialog";
import { Skeleton } from "../ui/Skeleton";

const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export function slugify(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 60);
  return slug || "workflow";
}

function emptyWorkflow(id: string, name: string): Workflow {
  return { id, name, version: 1, description: "", nodes: [], edges: [], schedule: { cron: null, timezone: "UTC", enabled: false },
           memory_mb: null, retry_crashed: 0, max_concurrent_runs: null, notes: [] };
}

export function WorkflowsPage() {
  const [workflows, setWorkflows] = useState<WorkflowListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [filter, setFilter] = useState("");
  const importInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(() => {
    api.listWorkflows().then(setWorkflows, (e) => setError(describeError(e)));
  }, []);
  useEffect(refresh, [refresh]);

  const uniqueId = (base: string) => {
    const taken = new Set((workflows ?? []).map((w) => w.id));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
  };

  const create = async () => {
    const title = name.trim() || "Untitled workflow";
    const id = uniqueId(slugify(title));
    if (!NAME_PATTERN.test(id)) return setError(`“${id}” is not a valid workflow id`);
    try {
      const created = await api.createWorkflow(emptyWorkflow(id, title));
      navigate({ page: "editor", workflowId: created.id });
    } catch (e) {
      setError(describeError(e));
    }
  };

  const duplicate = async (item: WorkflowListItem) => {
    try {
      const doc = await api.getWorkflow(item.id);
      const copy = { ...cleanWorkflow(doc), id: uniqueId(`${item.id}-copy`), name: `${doc.name || doc.id} (copy)`, version: 1 };
      await api.createWorkflow(copy);
      refresh();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const remove = async (item: WorkflowListItem) => {
    const sure = await askConfirm({ title: `Delete workflow “${item.name || item.id}”?`, message: "Its versions and run history are deleted with it.", confirmLabel: "Delete", danger: true });
    if (!sure) return;
    try {
      await api.deleteWorkflow(item.id);
      refresh();
    } catch (e) {
      setError(describeError(e));
    }
  };

  const importFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      const created = await api.importWorkflow(JSON.parse(await file.text()));
      navigate({ page: "editor", workflowId: created.id });
    } catch (e) {
      setError(`Import failed: ${describeError(e)}`);
    }
  };

  return (
    <div className="page" data-testid="workflows-page">
      <h1>Workflows</h1>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="New workflow name" data-testid="new-workflow-name" />
        <button type="submit" className="primary" data-testid="create-workflow">Create</button>
        <button type="button" onClick={() => importInput.current?.click()}>Import JSON…</button>
        <input ref={importInput} type="file" accept=".json,application/json" hidden
               onChange={(e) => { void importFile(e.target.files?.[0]); e.target.value = ""; }} />
      </form>
      {error && <p className="error" data-testid="page-error">{error}</p>}
      <input type="search" placeholder="Filter workflows…" value={filter} onChange={(e) => setFilter(e.target.value)}
             aria-label="Filter workflows" style={{ marginBottom: 8, minWidth: 260 }} />
      {workflows === null ? <Skeleton rows={6} label="Loading workflows" /> : workflows.length === 0 ? <p className="muted">No workflows yet.</p> : (
        <table className="list">
          <thead><tr><th>Name</th><th>Version</th><th>Updated</th><th>Schedule</th><th>Last run</th><th /></tr></thead>
          <tbody>
            {workflows.filter((w) => `${w.id} ${w.name} ${w.description}`.toLowerCase().includes(filter.toLowerCase())).map((w) => (
              <tr key={w.id} data-testid={`workflow-row-${w.id}`}>
                <td><a href={`#/workflows/${encodeURIComponent(w.id)}`}>{w.name || w.id}</a><br /><small className="muted">{w.id}</small></td>
                <td>v{w.version}</td>
                <td>{formatTime(w.updated_at)}</td>
                <td>{w.schedule?.cron ? `${w.schedule.cron}${w.schedule.enabled ? "" : " (off)"}` : "—"}</td>
                <td>{w.last_run ? <><span className={`badge badge-${w.last_run.status}`}>{w.last_run.status}</span> {formatTime(w.last_run.started_at)}</> : "never"}</td>
                <td className="actions">
                  <a href={`#/runs/${encodeURIComponent(w.id)}`}>Runs</a>
                  <button type="button" onClick={() => void duplicate(w)}>Duplicate</button>
                  <button type="button" className="danger" onClick={() => void remove(w)}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
