/**
 * What changed between two versions of a workflow: nodes added, removed, changed (per field:
 * label, type, each config key, retries, timeout, pins, disabled) or only moved; wires added and
 * removed; workflow-level fields (name, schedule, run settings). Pure, for the versions diff
 * view (editor/VersionDiffView.tsx) and its unit tests.
 */
import type { EdgeSpec, NodeSpec, Workflow } from "../api/types";

export interface FieldChange {
  /** e.g. "label", "config.code", "schedule" */
  field: string;
  before: unknown;
  after: unknown;
}

/** `moved`: only the position differs (a layout change, not a behaviour change). */
export type NodeChangeKind = "added" | "removed" | "changed" | "moved" | "same";

export interface NodeDiff {
  id: string;
  kind: NodeChangeKind;
  before: NodeSpec | null;
  after: NodeSpec | null;
  changes: FieldChange[];
}

export interface VersionDiff {
  nodes: NodeDiff[];
  edgesAdded: EdgeSpec[];
  edgesRemoved: EdgeSpec[];
  workflow: FieldChange[];
}

/** The node fields compared one by one (config is compared key by key). */
const NODE_FIELDS = ["type", "label", "retries", "retry_delay_s", "timeout_s", "disabled", "pinned"] as const;
/** A missing field and its default are the same thing (documents from before a field existed). */
const NODE_DEFAULTS: Record<string, unknown> = { label: "", retries: 0, retry_delay_s: 0, timeout_s: null, disabled: false, pinned: null };

const WORKFLOW_FIELDS = ["name", "description", "schedule", "memory_mb", "retry_crashed", "max_concurrent_runs", "pins_in_triggered_runs"] as const;
const WORKFLOW_DEFAULTS: Record<string, unknown> = {
  name: "", description: "", memory_mb: null, retry_crashed: 0, max_concurrent_runs: null, pins_in_triggered_runs: false,
};

/** Deep equality of JSON values (key order does not matter). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  const ak = Object.keys(a as object);
  const bk = Object.keys(b as object);
  if (ak.length !== bk.length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function withDefault(value: unknown, field: string, defaults: Record<string, unknown>): unknown {
  return value === undefined ? defaults[field] ?? null : value;
}

export function nodeFieldChanges(before: NodeSpec, after: NodeSpec): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of NODE_FIELDS) {
    const a = withDefault(before[field], field, NODE_DEFAULTS);
    const b = withDefault(after[field], field, NODE_DEFAULTS);
    if (!sameJson(a, b)) changes.push({ field, before: a, after: b });
  }
  const beforeConfig = before.config ?? {};
  const afterConfig = after.config ?? {};
  const keys = [...new Set([...Object.keys(beforeConfig), ...Object.keys(afterConfig)])].sort();
  for (const key of keys) {
    const a = (beforeConfig as Record<string, unknown>)[key];
    const b = (afterConfig as Record<string, unknown>)[key];
    if (!sameJson(a ?? null, b ?? null)) changes.push({ field: `config.${key}`, before: a ?? null, after: b ?? null });
  }
  return changes;
}

function samePosition(a: NodeSpec, b: NodeSpec): boolean {
  return (a.position?.x ?? 0) === (b.position?.x ?? 0) && (a.position?.y ?? 0) === (b.position?.y ?? 0);
}

const edgeKey = (e: EdgeSpec) => `${e.source}\u0000${e.target}`;

/** The differences from `before` to `after`; nodes in `after`'s order, removed ones where they were. */
export function diffVersions(before: Workflow, after: Workflow): VersionDiff {
  const beforeNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const afterNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const nodes: NodeDiff[] = [];
  for (const node of after.nodes) {
    const old = beforeNodes.get(node.id);
    if (!old) {
      nodes.push({ id: node.id, kind: "added", before: null, after: node, changes: [] });
      continue;
    }
    const changes = nodeFieldChanges(old, node);
    const kind: NodeChangeKind = changes.length ? "changed" : samePosition(old, node) ? "same" : "moved";
    nodes.push({ id: node.id, kind, before: old, after: node, changes });
  }
  before.nodes.forEach((node, index) => {
    if (afterNodes.has(node.id)) return;
    nodes.splice(Math.min(index, nodes.length), 0, { id: node.id, kind: "removed", before: node, after: null, changes: [] });
  });

  const beforeEdges = new Set(before.edges.map(edgeKey));
  const afterEdges = new Set(after.edges.map(edgeKey));
  const workflow: FieldChange[] = [];
  for (const field of WORKFLOW_FIELDS) {
    const a = withDefault((before as Record<string, unknown>)[field], field, WORKFLOW_DEFAULTS);
    const b = withDefault((after as Record<string, unknown>)[field], field, WORKFLOW_DEFAULTS);
    if (!sameJson(a, b)) workflow.push({ field, before: a, after: b });
  }
  return {
    nodes,
    edgesAdded: after.edges.filter((e) => !beforeEdges.has(edgeKey(e))),
    edgesRemoved: before.edges.filter((e) => !afterEdges.has(edgeKey(e))),
    workflow,
  };
}

/** How many nodes of each kind, for the diff's summary line. */
export function diffSummary(diff: VersionDiff): Record<NodeChangeKind, number> {
  const counts: Record<NodeChangeKind, number> = { added: 0, removed: 0, changed: 0, moved: 0, same: 0 };
  for (const node of diff.nodes) counts[node.kind]++;
  return counts;
}

/** A field's value as the text the line diff compares: strings as they are (code keeps its lines), the rest as JSON. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
