/** Shapes of the wirework REST API (engine/api), as the editor reads and writes them. */

export interface Position {
  x: number;
  y: number;
}

export interface NodeSpec {
  id: string;
  type: string;
  label: string;
  position: Position;
  config: Record<string, unknown>;
  retries: number;
  retry_delay_s?: number;
  timeout_s: number | null;
}

export interface EdgeSpec {
  id: string;
  source: string;
  target: string;
}

export interface Schedule {
  cron: string | null;
  timezone: string;
  enabled: boolean;
}

export interface Workflow {
  id: string;
  name: string;
  version: number;
  description: string;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
  schedule: Schedule;
}

export type Category = "source" | "transform" | "sink";

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

/** What a node type accepts on its input: records, a wire for run order only (e.g.
 * store.read after a store.write), or nothing (`GET /api/node-types`, nodes/base.py). */
export type InputMode = "records" | "order" | "none";

export interface NodeTypeInfo {
  type: string;
  category: Category;
  inputs?: InputMode;
  title: string;
  description: string;
  config_schema: JsonSchema;
}

export interface RunSummary {
  id: string;
  status: string;
  started_at: string | null;
}

export interface WorkflowListItem {
  id: string;
  name: string;
  version: number;
  description: string;
  updated_at: string | null;
  schedule: Schedule;
  last_run: RunSummary | null;
}

export interface Problem {
  code: string;
  message: string;
  node?: string | null;
  edge?: string | null;
  field?: string | null;
  line?: number | null;
}

export interface ValidationResult {
  valid: boolean;
  problems: Problem[];
}

export interface NodeRunError {
  type: string;
  message: string;
  node: string | null;
  record_id: string | null;
  line: number | null;
  source_line: string | null;
}

export type NodeStatus = "pending" | "running" | "completed" | "failed" | "not_run" | "retrying" | "cancelled";

export interface NodeRun {
  node_id: string;
  status: NodeStatus;
  attempts?: number;
  started_at: string | null;
  ended_at: string | null;
  duration_s: number | null;
  records_in: number | null;
  records_out: number | null;
  error: NodeRunError | null;
}

export interface RunTrigger {
  id?: string;
  trigger: "manual" | "schedule" | "webhook" | string;
  payload?: unknown;
  time?: string;
}

export interface Run {
  id: string;
  workflow_id: string;
  workflow_version: number;
  status: string;
  started_at: string | null;
  ended_at: string | null;
  error: string | null;
  /** The trigger record (`{id, trigger, payload, time}`); older servers sent only its kind. */
  trigger: RunTrigger | string | null;
  nodes?: NodeRun[];
}

export interface VersionInfo {
  version: number;
  saved_at: string;
}

export interface ScheduleInfo extends Schedule {
  next_runs: string[];
}

export interface StoreInfo {
  name: string;
  count: number;
  size_bytes?: number | null;
}

export interface SecretInfo {
  name: string;
  masked: string;
  updated_at: string | null;
}

export interface RecordPage {
  records: Record<string, unknown>[];
  total: number;
}
