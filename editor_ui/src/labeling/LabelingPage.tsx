/** The Labeling section: the project list (create one from a shared store) and one project's workspace. */
import { useCallback, useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import type { StoreInfo } from "../api/types";
import { hrefFor, navigate, type LabelingTab } from "../router";
import { labelingApi } from "./labelingApi";
import { ProjectOverview } from "./ProjectOverview";
import { LabelingView } from "./LabelingView";
import { HeuristicsView } from "./HeuristicsView";
import { WeakSupervisionView } from "./WeakSupervisionView";
import type { LabelingProject } from "./types";
import "./labeling.css";
import { Skeleton } from "../ui/Skeleton";

const TABS: { id: LabelingTab; title: string }[] = [
  { id: "overview", title: "Overview" },
  { id: "label", title: "Label" },
  { id: "heuristics", title: "Heuristics" },
  { id: "weak-supervision", title: "Weak supervision" },
];

export function LabelingPage({ project, tab }: { project?: string; tab: LabelingTab }) {
  return project ? <ProjectWorkspace key={project} name={project} tab={tab} /> : <ProjectList />;
}

function ProjectList() {
  const [projects, setProjects] = useState<LabelingProject[] | null>(null);
  const [stores, setStores] = useState<StoreInfo[]>([]);
  const [name, setName] = useState("");
  const [store, setStore] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    labelingApi.listProjects().then(setProjects, (e) => { setError(describeError(e)); setProjects([]); });
    api.listStores().then(setStores, (e) => setError(describeError(e)));
  }, []);

  const create = async () => {
    try {
      const created = await labelingApi.createProject(name.trim(), store);
      navigate({ page: "labeling", project: created.name, tab: "overview" });
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <div className="page labeling-page" data-testid="labeling-projects">
      <h1>Labeling projects</h1>
      <p className="muted">A project labels the records of a shared store: new records arrive by themselves.</p>
      <form className="row" onSubmit={(e) => { e.preventDefault(); void create(); }}>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="new project name (a-z, 0-9, _ -)"
               pattern="[a-z][a-z0-9_\-]{0,62}" required data-testid="new-project-name" />
        <select value={store} onChange={(e) => setStore(e.target.value)} required data-testid="new-project-store">
          <option value="">from store…</option>
          {stores.map((s) => <option key={s.name} value={s.name}>{s.name} ({s.count} records)</option>)}
        </select>
        <button type="submit" className="primary" data-testid="create-project">Create project</button>
      </form>
      {error && <p className="error">{error}</p>}
      {projects === null ? <Skeleton rows={4} label="Loading projects" /> : (
      <table className="list">
        <thead><tr><th>Project</th><th>Store</th><th>Embedding model</th><th>Created</th></tr></thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.name}>
              <td><a href={hrefFor({ page: "labeling", project: p.name })}>{p.name}</a></td>
              <td>{p.store}</td><td className="muted">{p.embedding_model}</td>
              <td className="muted">{new Date(p.created_at).toLocaleString()}</td>
            </tr>
          ))}
          {projects.length === 0 && <tr><td colSpan={4} className="muted">No projects yet.</td></tr>}
        </tbody>
      </table>
      )}
    </div>
  );
}

function ProjectWorkspace({ name, tab }: { name: string; tab: LabelingTab }) {
  const [project, setProject] = useState<LabelingProject | null>(null);
  const [taskName, setTaskName] = useState<string>("");
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      const loaded = await labelingApi.getProject(name);
      setProject(loaded);
      setTaskName((current) => (loaded.tasks?.some((t) => t.name === current) ? current : loaded.tasks?.[0]?.name ?? ""));
    } catch (e) {
      setError(describeError(e));
    }
  }, [name]);
  useEffect(() => void reload(), [reload]);

  const task = project?.tasks?.find((t) => t.name === taskName);
  return (
    <div className="labeling-workspace" data-testid="labeling-workspace">
      <div className="labeling-header">
        <a href={hrefFor({ page: "labeling" })} className="muted">Projects</a>
        <span className="muted">/</span>
        <h1>{name}</h1>
        {project && <span className="muted small">store <a href={hrefFor({ page: "stores", storeName: project.store })}>{project.store}</a></span>}
        <nav className="labeling-tabs">
          {TABS.map((t) => (
            <a key={t.id} href={hrefFor({ page: "labeling", project: name, tab: t.id })} className={t.id === tab ? "active" : ""}
               data-testid={`labeling-tab-${t.id}`}>{t.title}</a>
          ))}
        </nav>
        {project && (project.tasks?.length ?? 0) > 0 && (
          <label className="inline task-picker">Task
            <select value={taskName} data-testid="task-picker"
                    onChange={(e) => { setTaskName(e.target.value); e.target.blur(); /* number keys label again */ }}>
              {project.tasks!.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
            </select>
          </label>
        )}
      </div>
      {error && <p className="error page-error">{error}</p>}
      {!project && !error && <div className="labeling-body"><Skeleton rows={6} label="Loading the project" /></div>}
      {project && (
        <div className="labeling-body">
          {tab === "overview" && <ProjectOverview project={project} onChanged={reload} />}
          {tab !== "overview" && !task && (
            <p className="muted">This project has no labeling task yet: <a href={hrefFor({ page: "labeling", project: name, tab: "overview" })}>create one</a>.</p>
          )}
          {tab === "label" && task && <LabelingView key={task.name} project={name} task={task} />}
          {tab === "heuristics" && task && <HeuristicsView key={task.name} project={name} task={task} />}
          {tab === "weak-supervision" && task && <WeakSupervisionView key={task.name} project={project} task={task} onChanged={reload} />}
        </div>
      )}
    </div>
  );
}
