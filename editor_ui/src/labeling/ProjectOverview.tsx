/**
 * A project's sync status (records, labelled, unlabelled, embedded per task, and the text
 * fields the records lack, with the server's warnings) and its tasks, with a form for a new task.
 */
import { useCallback, useEffect, useMemo, useState } from "react";
import { describeError } from "../api/client";
import { hrefFor } from "../router";
import { fieldGapsText } from "./fieldGaps";
import { labelingApi } from "./labelingApi";
import type { LabelingProject, ProjectStatus } from "./types";
import { askConfirm } from "../ui/confirmDialog";
import { Skeleton } from "../ui/Skeleton";

export function ProjectOverview({ project, onChanged }: { project: LabelingProject; onChanged: () => void }) {
  const [status, setStatus] = useState<ProjectStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => labelingApi.status(project.name).then(setStatus, (e) => setError(describeError(e))), [project.name]);
  useEffect(() => void refresh(), [refresh, project]);

  return (
    <div className="overview">
      <section className="card">
        <div className="card-title">
          <h2>Sync status</h2>
          <button type="button" onClick={() => void labelingApi.sync(project.name).then(refresh, (e) => setError(describeError(e)))}>Sync now</button>
        </div>
        <p className="muted small">Records come from store “{project.store}” (up to seq {status?.synced_seq ?? project.synced_seq}); every view syncs before it reads.</p>
        {error && <p className="error">{error}</p>}
        {!status && !error && <Skeleton rows={2} label="Loading the sync status" />}
        {status && (
          <table className="list status-table" data-testid="status-table">
            <thead><tr><th>Task</th><th>Records</th><th>Labeled</th><th>Unlabeled</th><th>Embedded</th><th>Text fields lacking</th></tr></thead>
            <tbody>
              {status.tasks.map((t) => (
                <tr key={t.task} data-testid={`status-${t.task}`}>
                  <td>{t.task}</td><td data-testid="status-records">{status.records}</td><td data-testid="status-labeled">{t.labeled}</td>
                  <td data-testid="status-unlabeled">{t.unlabeled}</td><td data-testid="status-embedded">{t.embedded}</td>
                  <td className="small" data-testid="status-field-gaps">{fieldGapsText(t.text_fields) || <span className="muted">none</span>}</td>
                </tr>
              ))}
              {status.tasks.length === 0 && <tr><td className="muted">no tasks yet</td><td data-testid="status-records">{status.records}</td><td /><td /><td /><td /></tr>}
            </tbody>
          </table>
        )}
        {status && status.warnings.length > 0 && (
          <ul className="error small" data-testid="status-warnings">
            {status.warnings.map((w) => <li key={`${w.task}/${w.field}`}>{w.message}: its predictions would all come from empty text.</li>)}
          </ul>
        )}
      </section>
      <section className="card">
        <div className="card-title"><h2>Tasks</h2>
          {(project.tasks?.length ?? 0) > 0 && (
            <a className="button primary-link" href={hrefFor({ page: "labeling", project: project.name, tab: "label" })}>Start labeling →</a>
          )}
        </div>
        <table className="list">
          <thead><tr><th>Task</th><th>Labels (keys)</th><th>Text fields</th><th /></tr></thead>
          <tbody>
            {(project.tasks ?? []).map((t) => (
              <tr key={t.name}>
                <td>{t.name}</td>
                <td>{t.labels.map((l, i) => <span key={l} className="label-chip"><kbd>{i + 1}</kbd>{l}</span>)}</td>
                <td>{t.text_fields.join(", ")}</td>
                <td className="actions">
                  <button type="button" className="danger small" onClick={async () => {
                    if (await askConfirm({ title: `Delete task “${t.name}”?`, message: "Its labels and heuristics are deleted with it.", confirmLabel: "Delete", danger: true })) {
                      void labelingApi.deleteTask(project.name, t.name).then(onChanged, (e) => setError(describeError(e)));
                    }
                  }}>Delete</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <NewTaskForm project={project.name} onCreated={onChanged} />
      </section>
    </div>
  );
}

function NewTaskForm({ project, onCreated }: { project: string; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [labels, setLabels] = useState("");
  const [fields, setFields] = useState<string[]>([]);
  const [sample, setSample] = useState<Record<string, unknown>[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    labelingApi.sampleRecords(project, 20).then((rows) => setSample(rows.map((r) => r.data)), () => setSample([]));
  }, [project]);
  // Text fields to offer: keys whose values are strings in the first records.
  const candidates = useMemo(() => [...new Set(sample.flatMap((r) => Object.keys(r).filter((k) => k !== "id" && typeof r[k] === "string")))], [sample]);

  const create = async () => {
    try {
      const labelList = labels.split(/\n|,/).map((l) => l.trim()).filter(Boolean);
      await labelingApi.createTask(project, name.trim(), labelList, fields);
      setName(""); setLabels(""); setFields([]); setError(null);
      onCreated();
    } catch (e) {
      setError(describeError(e));
    }
  };
  const toggle = (field: string) => setFields((f) => (f.includes(field) ? f.filter((x) => x !== field) : [...f, field]));

  return (
    <form className="new-task" onSubmit={(e) => { e.preventDefault(); void create(); }} data-testid="new-task-form">
      <h3>New task</h3>
      <div className="new-task-grid">
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. sentiment" required data-testid="new-task-name" /></label>
        <label>Labels, one per line (the order gives the number keys)
          <textarea rows={3} value={labels} onChange={(e) => setLabels(e.target.value)} required data-testid="new-task-labels"
                    placeholder={"rather positive\nneutral\nrather negative"} />
        </label>
        <div>
          <div className="field-title">Text fields the task reads</div>
          {candidates.map((field) => (
            <label key={field} className="inline"><input type="checkbox" checked={fields.includes(field)} onChange={() => toggle(field)}
                                                          data-testid={`text-field-${field}`} />{field}
              <span className="muted small field-example">{String(sample.find((r) => typeof r[field] === "string")?.[field] ?? "").slice(0, 60)}</span>
            </label>
          ))}
          <input placeholder="or type a field (dotted for nested)…" onKeyDown={(e) => {
            const value = (e.target as HTMLInputElement).value.trim();
            if (e.key === "Enter" && value) { e.preventDefault(); toggle(value); (e.target as HTMLInputElement).value = ""; }
          }} />
          {fields.filter((f) => !candidates.includes(f)).map((f) => <span key={f} className="label-chip">{f} <button type="button" className="small" onClick={() => toggle(f)}>✕</button></span>)}
        </div>
      </div>
      {error && <p className="error">{error}</p>}
      <button type="submit" className="primary" disabled={!fields.length} data-testid="create-task">Create task</button>
    </form>
  );
}
