/**
 * Config-form widgets of the `labeling.enrich` node: `format: labeling-project` picks one
 * of the existing projects, `format: labeling-tasks` ticks tasks of the project chosen in
 * the same form (read from rjsf's formContext, which ConfigForm fills with the config).
 */
import { useEffect, useState } from "react";
import type { WidgetProps } from "@rjsf/utils";
import { describeError } from "../api/client";
import { labelingApi } from "./labelingApi";
import type { LabelingTask } from "./types";

export interface ConfigFormContext {
  config?: Record<string, unknown>;
}

export function LabelingProjectWidget({ id, value, onChange, disabled, readonly }: WidgetProps) {
  const [names, setNames] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    labelingApi.listProjects().then((projects) => setNames(projects.map((p) => p.name)), (e) => setError(describeError(e)));
  }, []);
  const current = typeof value === "string" ? value : "";
  const options = names ?? [];
  return (
    <div className="picker" data-testid="labeling-project-picker">
      <select id={id} value={current} disabled={disabled || readonly}
              onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}>
        <option value="">{names === null ? "loading projects…" : options.length ? "choose a labeling project" : "no labeling projects yet"}</option>
        {options.map((n) => <option key={n} value={n}>{n}</option>)}
        {current && names !== null && !options.includes(current) && <option value={current}>{current} (no such project)</option>}
      </select>
      {error && <div className="error small">{error}</div>}
    </div>
  );
}

export function LabelingTasksWidget({ id, value, onChange, registry, disabled, readonly }: WidgetProps) {
  const project = (registry.formContext as ConfigFormContext | undefined)?.config?.project;
  const [tasks, setTasks] = useState<LabelingTask[] | null>(null);
  useEffect(() => {
    setTasks(null);
    if (typeof project !== "string" || !project) return;
    let alive = true;
    labelingApi.listTasks(project).then((t) => alive && setTasks(t), () => alive && setTasks([]));
    return () => {
      alive = false;
    };
  }, [project]);
  const chosen: string[] = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  const toggle = (name: string) => onChange(chosen.includes(name) ? chosen.filter((t) => t !== name) : [...chosen, name]);
  if (typeof project !== "string" || !project) return <div className="muted small" id={id}>choose a project first</div>;
  return (
    <div className="task-checks" id={id} data-testid="labeling-tasks-picker">
      {tasks === null && <span className="muted small">loading tasks…</span>}
      {tasks?.length === 0 && <span className="muted small">the project has no tasks</span>}
      {tasks?.map((t) => (
        <label key={t.name} className="inline">
          <input type="checkbox" checked={chosen.includes(t.name)} disabled={disabled || readonly} onChange={() => toggle(t.name)} />
          {t.name} <span className="muted small">({t.labels.join(", ")})</span>
        </label>
      ))}
      {chosen.filter((c) => tasks && !tasks.some((t) => t.name === c)).map((c) => (
        <label key={c} className="inline error"><input type="checkbox" checked onChange={() => toggle(c)} />{c} (no such task)</label>
      ))}
      {tasks && tasks.length > 0 && chosen.length === 0 && <span className="muted small">none ticked: every task is predicted</span>}
    </div>
  );
}
