/** The labeling project routes (`/api/labeling/...`), typed, over the app's one HTTP client. */
import { query, request } from "../api/client";
import type {
  Filter, Heuristic, HeuristicKind, LabelingProject, LabelingProjectDetail, LabelingTask, LookupList, ManualLabel,
  PreviewResult, ProjectRecord, ProjectStatus, StatisticsReport, SuggestionPage, SyncResult, TrainingJob,
  WeakSupervisionReport, WeakSupervisionSettings,
} from "./types";

const enc = encodeURIComponent;
const project = (name: string) => `/api/labeling/projects/${enc(name)}`;
const task = (p: string, t: string) => `${project(p)}/tasks/${enc(t)}`;

export interface SuggestionQuery {
  filter: Filter;
  limit?: number;
  maxConfidence?: number;
  exclude?: string[];
}

/** The suggestions URL: repeated `exclude` parameters for ids the client already holds. */
export function suggestionsPath(p: string, t: string, q: SuggestionQuery): string {
  const base = `${task(p, t)}/suggestions${query({ filter: q.filter, limit: q.limit, max_confidence: q.maxConfidence })}`;
  const excluded = (q.exclude ?? []).map((id) => `exclude=${enc(id)}`).join("&");
  if (!excluded) return base;
  return `${base}${base.includes("?") ? "&" : "?"}${excluded}`;
}

export const labelingApi = {
  listProjects: () => request<LabelingProject[]>("GET", "/api/labeling/projects"),
  getProject: (p: string) => request<LabelingProjectDetail>("GET", project(p)),
  createProject: (name: string, store: string) => request<LabelingProjectDetail>("POST", "/api/labeling/projects", { name, store }),
  deleteProject: (p: string) => request<void>("DELETE", project(p)),
  status: (p: string) => request<ProjectStatus>("GET", `${project(p)}/status`),
  sync: (p: string) => request<SyncResult>("POST", `${project(p)}/sync`),
  sampleRecords: (p: string, limit = 20) => request<ProjectRecord[]>("GET", `${project(p)}/records${query({ limit })}`),

  listTasks: (p: string) => request<LabelingTask[]>("GET", `${project(p)}/tasks`),
  createTask: (p: string, name: string, labels: string[], textFields: string[]) =>
    request<LabelingTask>("POST", `${project(p)}/tasks`, { name, labels, text_fields: textFields }),
  deleteTask: (p: string, t: string) => request<void>("DELETE", task(p, t)),
  setLabel: (p: string, t: string, recordId: string, label: string) =>
    request<ManualLabel>("PUT", `${task(p, t)}/labels/${enc(recordId)}`, { label, user: "editor" }),
  clearLabel: (p: string, t: string, recordId: string) => request<void>("DELETE", `${task(p, t)}/labels/${enc(recordId)}`),
  suggestions: (p: string, t: string, q: SuggestionQuery) => request<SuggestionPage>("GET", suggestionsPath(p, t, q)),

  lookupLists: (p: string) => request<LookupList[]>("GET", `${project(p)}/lookup-lists`),
  setLookupList: (p: string, name: string, terms: string[]) =>
    request<LookupList>("PUT", `${project(p)}/lookup-lists/${enc(name)}`, { terms }),
  deleteLookupList: (p: string, name: string) => request<void>("DELETE", `${project(p)}/lookup-lists/${enc(name)}`),

  heuristics: (p: string, t: string) => request<Heuristic[]>("GET", `${task(p, t)}/heuristics`),
  saveHeuristic: (p: string, t: string, name: string, kind: HeuristicKind, config: Record<string, unknown>) =>
    request<Heuristic>("PUT", `${task(p, t)}/heuristics/${enc(name)}`, { kind, config }),
  deleteHeuristic: (p: string, t: string, name: string) => request<void>("DELETE", `${task(p, t)}/heuristics/${enc(name)}`),
  preview: (p: string, t: string, code: string, sampleSize: number, name?: string) =>
    request<PreviewResult>("POST", `${task(p, t)}/preview`, { code, sample_size: sampleSize, name: name || undefined }),
  startTraining: (p: string, t: string, heuristic: string) =>
    request<TrainingJob>("POST", `${task(p, t)}/training`, { heuristic }),
  trainingJob: (p: string, jobId: string) => request<TrainingJob>("GET", `${project(p)}/training/${enc(jobId)}`),
  statistics: (p: string, t: string) => request<StatisticsReport>("GET", `${task(p, t)}/statistics`),

  setWeakSupervision: (p: string, settings: WeakSupervisionSettings) =>
    request<WeakSupervisionSettings>("PUT", `${project(p)}/weak-supervision`, settings),
  weakSupervision: (p: string, t: string) => request<WeakSupervisionReport>("GET", `${task(p, t)}/weak-supervision`),
};
