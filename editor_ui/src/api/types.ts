/**
 * Shapes of the wirework REST API as the editor reads and writes them: names for the
 * types generated from the server's own models (`schema.d.ts`, `npm run gen:api`), so a
 * changed route shows up here as a type error rather than at run time.
 */
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Position = Schemas["PositionResponse"];
/**
 * A node of the document. `pinned` (records a manual run emits instead of running the node)
 * and `disabled` (input passed through unchanged) are issue 16's fields: the server always
 * answers them, the editor sends them only when set (the model's defaults are null/false),
 * so they are optional here.
 */
export type NodeSpec = Omit<Schemas["NodeSpecResponse"], "pinned" | "disabled"> & {
  pinned?: Record<string, unknown>[] | null;
  disabled?: boolean;
};
export type EdgeSpec = Schemas["EdgeSpecResponse"];
export type Schedule = Schemas["ScheduleResponse"];
/** A sticky note of the canvas, saved in the workflow document (the engine ignores it). */
export type Note = Schemas["NoteResponse"];
/** A workflow document as the server answers it (and takes it back on save). */
export type Workflow = Omit<Schemas["WorkflowDocument"], "nodes" | "pins_in_triggered_runs"> & {
  nodes: NodeSpec[];
  /** Scheduled and webhook runs use pins too (default: only manual runs do). */
  pins_in_triggered_runs?: boolean;
};
/** A saved workflow with the problems that keep it from running. */
export type WorkflowWithProblems = Schemas["WorkflowResponse"];
export type WorkflowListItem = Schemas["WorkflowSummaryResponse"];
/** A problem that makes a saved version invalid. */
export interface VersionError {
  node_id?: string | null;
  node?: string | null;
  code?: string;
  message: string;
  line?: number | null;
}
/**
 * A saved version; `valid`/`errors` say whether it could run (issue 16). Declared here too, so
 * the editor builds the same whether or not the generated schema has caught up with them.
 */
export type VersionInfo = Schemas["VersionResponse"] & { valid?: boolean; errors?: VersionError[] };
export type ScheduleInfo = Schemas["ScheduleInfoResponse"];
export type Problem = Schemas["ProblemResponse"];
export type ValidationResult = Schemas["ValidationResponse"];
export type Webhook = Schemas["WebhookResponse"];
export type ApiErrorBody = Schemas["ErrorResponse"];

export type Category = Schemas["NodeTypeResponse"]["category"];
/** What a node type accepts on its input: records, a wire for run order only (e.g.
 * store.read after a store.write), or nothing (`GET /api/node-types`, nodes/base.py). */
export type InputMode = Schemas["NodeTypeResponse"]["inputs"];

/** The parts of JSON Schema the config forms read (a node type's `config_schema`). */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  [key: string]: unknown;
}

/** A node type; `inputs` may be missing from servers older than it (see `inputModeOf`). */
export type NodeTypeInfo = Omit<Schemas["NodeTypeResponse"], "config_schema" | "inputs"> & {
  config_schema: JsonSchema;
  inputs?: InputMode;
};

export type RunStatus = Schemas["RunStatus"];
/** A node's status in a run; `reused` (output taken from an earlier run), `pinned` and `skipped` (disabled) are issue 16's. */
export type NodeStatus = Schemas["NodeStatus"] | "reused" | "pinned" | "skipped";
export type RunTrigger = Schemas["RunTriggerResponse"];
export type NodeRunError = Schemas["NodeErrorResponse"];
export type NodeRun = Schemas["NodeRunResponse"];
/** A node of a run the editor follows live: assembled from run events, so the counts
 * and attempts are unknown until the node reports them. */
export type LiveNodeRun = Omit<NodeRun, "run_id" | "attempts" | "records_in" | "records_out"> & {
  attempts?: number;
  records_in: number | null;
  records_out: number | null;
};
/** A run as listed; `GET /api/runs/{id}` adds its nodes (`RunDetail`). */
export type Run = Schemas["RunResponse"] & { nodes?: NodeRun[] };
export type RunDetail = Schemas["RunDetailResponse"];
export type RunStarted = Schemas["RunStartedResponse"];
export type NodeOutput = Schemas["NodeOutputResponse"];
/** Which records of a node in a run: what it took in or what it put out. */
export type RecordSide = "input" | "output";
/** A page of a node's input or output in a run (`offset`/`limit` over every record). */
export interface NodeRecordsPage {
  total: number;
  records: Record<string, unknown>[];
  offset?: number;
}
/** What `POST /api/workflows/{id}/runs` takes: a payload, and for a partial run where to start
 * (`start_at`) or the one node to run (`only`), the rest reused from the run `reuse_from`. */
export interface RunRequest {
  payload?: unknown;
  start_at?: string;
  only?: string;
  reuse_from?: string;
}
export type NodeLogs = Schemas["NodeLogsResponse"];

export type StoreInfo = Schemas["StoreSummaryResponse"];
export type StoreDetail = Schemas["StoreResponse"];
export type RecordPage = Schemas["RecordPageResponse"];
export type ImportResult = Schemas["ImportResponse"];
export type SecretInfo = Schemas["SecretResponse"];
