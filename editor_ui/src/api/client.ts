/** The one place the editor talks HTTP to the wirework API. */
import type { components } from "./schema";
import type {
  ImportResult, NodeLogs, NodeOutput, NodeRecordsPage, NodeTypeInfo, RecordPage, RecordSide, Run, RunDetail, RunRequest,
  RunStarted, RunStatus, ScheduleInfo,
  SecretInfo, StoreDetail, StoreInfo, ValidationResult, VersionInfo, Webhook, Workflow, WorkflowListItem,
  WorkflowWithProblems,
} from "./types";
import { authStore } from "./auth";

/** An error response of the API: `{error, detail, node?}` plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly body: Record<string, unknown>,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

/** One JSON request to the API; an error response throws `ApiError`. Feature modules (e.g. labeling) build on it. */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: {} };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] = "application/json";
  }
  const response = await fetch(path, init);
  // (/api/health answers without a session, so it says nothing about signing in.)
  if (response.ok && !path.startsWith("/api/health")) authStore.reportAuthorized();
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = { error: "bad_response", detail: text.slice(0, 300) };
  }
  if (!response.ok) {
    const errorBody = (parsed && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
    const detail = errorBody.detail;
    // No valid session cookie (or bearer token): the app shows the "Not signed in" screen.
    if (response.status === 401) authStore.reportUnauthorized(typeof detail === "string" ? detail : "");
    throw new ApiError(
      response.status,
      String(errorBody.error ?? response.statusText ?? "error"),
      typeof detail === "string" ? detail : detail ? JSON.stringify(detail) : "",
      errorBody,
    );
  }
  return parsed as T;
}

const enc = encodeURIComponent;

export function query(params: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const api = {
  health: () => request<components["schemas"]["HealthResponse"]>("GET", "/api/health"),
  nodeTypes: () => request<NodeTypeInfo[]>("GET", "/api/node-types"),
  /** Sizes of the app database and the runs' data, and the retention in force. */
  storage: () => request<components["schemas"]["StorageResponse"]>("GET", "/api/storage"),

  listWorkflows: () => request<WorkflowListItem[]>("GET", "/api/workflows"),
  getWorkflow: (id: string) => request<WorkflowWithProblems>("GET", `/api/workflows/${enc(id)}`),
  createWorkflow: (doc: Workflow) => request<WorkflowWithProblems>("POST", "/api/workflows", doc),
  saveWorkflow: (doc: Workflow) => request<WorkflowWithProblems>("PUT", `/api/workflows/${enc(doc.id)}`, doc),
  deleteWorkflow: (id: string) => request<void>("DELETE", `/api/workflows/${enc(id)}`),
  listVersions: (id: string) => request<VersionInfo[]>("GET", `/api/workflows/${enc(id)}/versions`),
  getVersion: (id: string, v: number) => request<Workflow>("GET", `/api/workflows/${enc(id)}/versions/${v}`),
  restoreVersion: (id: string, v: number) =>
    request<WorkflowWithProblems>("POST", `/api/workflows/${enc(id)}/versions/${v}/restore`),
  validate: (doc: Workflow) => request<ValidationResult>("POST", "/api/validate", doc),
  importWorkflow: (doc: unknown) => request<WorkflowWithProblems>("POST", "/api/workflows/import", doc),
  exportWorkflow: (id: string) => request<Workflow>("GET", `/api/workflows/${enc(id)}/export`),

  schedule: (id: string) => request<ScheduleInfo>("GET", `/api/workflows/${enc(id)}/schedule`),
  cronNext: (cron: string, timezone: string) =>
    request<components["schemas"]["NextRunsResponse"]>("GET", `/api/cron/next${query({ cron, timezone })}`),
  webhook: (id: string) => request<Webhook>("GET", `/api/workflows/${enc(id)}/webhook`),

  startRun: (id: string, payload: unknown = null) =>
    request<RunStarted>("POST", `/api/workflows/${enc(id)}/runs`, { payload }),
  /** A run with options: a partial run (`start_at` / `only` with `reuse_from`). */
  startRunWith: (id: string, body: RunRequest) =>
    request<RunStarted>("POST", `/api/workflows/${enc(id)}/runs`, { payload: null, ...body }),
  listRuns: (params: { workflow_id?: string; status?: RunStatus; limit?: number } = {}) =>
    request<Run[]>("GET", `/api/runs${query(params)}`),
  getRun: (runId: string) => request<RunDetail>("GET", `/api/runs/${enc(runId)}`),
  cancelRun: (runId: string) => request<components["schemas"]["CancelResponse"]>("POST", `/api/runs/${enc(runId)}/cancel`),
  nodeOutput: (runId: string, nodeId: string, offset = 0, limit = 50) =>
    request<NodeOutput>("GET", `/api/runs/${enc(runId)}/nodes/${enc(nodeId)}/output${query({ offset, limit })}`),
  /** A page of every record a node took in or put out in a run (limit at most 1000). */
  nodeRecords: (runId: string, nodeId: string, side: RecordSide, offset = 0, limit = 50) =>
    request<NodeRecordsPage>("GET", `/api/runs/${enc(runId)}/nodes/${enc(nodeId)}/${side}${query({ offset, limit })}`),
  nodeRecordsDownloadUrl: (runId: string, nodeId: string, side: RecordSide, format: "jsonl" | "csv" | "parquet") =>
    `/api/runs/${enc(runId)}/nodes/${enc(nodeId)}/${side}/download${query({ format })}`,
  nodeLogs: (runId: string, nodeId: string) =>
    request<NodeLogs>("GET", `/api/runs/${enc(runId)}/nodes/${enc(nodeId)}/logs`),

  listStores: () => request<StoreInfo[]>("GET", "/api/stores"),
  createStore: (name: string) => request<StoreDetail>("POST", "/api/stores", { name }),
  deleteStore: (name: string) => request<void>("DELETE", `/api/stores/${enc(name)}`),
  storeRecords: (name: string, offset = 0, limit = 50) =>
    request<RecordPage>("GET", `/api/stores/${enc(name)}/records${query({ offset, limit })}`),
  uploadToStore: (name: string, file: File) => {
    const form = new FormData();
    form.append("file", file);
    return request<ImportResult>("POST", `/api/stores/${enc(name)}/upload`, form);
  },
  storeDownloadUrl: (name: string, format: "csv" | "parquet" | "jsonl") =>
    `/api/stores/${enc(name)}/download${query({ format })}`,

  listSecrets: () => request<SecretInfo[]>("GET", "/api/secrets"),
  setSecret: (name: string, value: string) => request<SecretInfo>("PUT", `/api/secrets/${enc(name)}`, { value }),
  deleteSecret: (name: string) => request<void>("DELETE", `/api/secrets/${enc(name)}`),
};

/** A short message for any thrown value, for banners and toasts. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.detail || error.code;
  if (error instanceof Error) return error.message;
  return String(error);
}
