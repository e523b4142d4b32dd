/**
 * The workflow document exactly as the model (engine/model/workflow.py) defines it. API responses
 * may carry more (e.g. `problems`), and the server refuses unknown keys on save, so
 * anything sent back is rebuilt from the model's fields only.
 */
import type { NodeSpec, Note, Workflow } from "./types";

export function cleanNodeSpec(node: Partial<NodeSpec> & { id: string; type: string }): NodeSpec {
  const spec: NodeSpec = {
    id: node.id,
    type: node.type,
    label: node.label ?? "",
    position: { x: node.position?.x ?? 0, y: node.position?.y ?? 0 },
    config: node.config ?? {},
    retries: node.retries ?? 0,
    retry_delay_s: node.retry_delay_s ?? 0,
    timeout_s: node.timeout_s ?? null,
  };
  // Issue 16's fields only when set: a document without pins or disabled nodes stays the same
  // for a server that predates them (it refuses keys it does not know).
  if (node.pinned) spec.pinned = node.pinned;
  if (node.disabled) spec.disabled = true;
  return spec;
}

export function cleanNote(note: Partial<Note> & { id: string }): Note {
  return {
    id: note.id,
    text: note.text ?? "",
    position: { x: note.position?.x ?? 0, y: note.position?.y ?? 0 },
    width: note.width ?? null,
    height: note.height ?? null,
  };
}

export function cleanWorkflow(doc: Workflow): Workflow {
  return {
    id: doc.id,
    name: doc.name ?? "",
    version: doc.version,
    description: doc.description ?? "",
    nodes: (doc.nodes ?? []).map(cleanNodeSpec),
    edges: (doc.edges ?? []).map((e) => ({ id: e.id || `${e.source}->${e.target}`, source: e.source, target: e.target })),
    schedule: doc.schedule ?? { cron: null, timezone: "UTC", enabled: false },
    // Sticky notes; a document from before notes were saved has none.
    notes: (doc.notes ?? []).map(cleanNote),
    memory_mb: doc.memory_mb ?? null, // the run's memory limit; kept through an editor save
    retry_crashed: doc.retry_crashed ?? 0, // crashed scheduled/webhook runs started again; kept the same way
    max_concurrent_runs: doc.max_concurrent_runs ?? null, // runs of this workflow at once; kept the same way
    // Pins in scheduled and webhook runs too (issue 16); only when on, like the node fields above.
    ...(doc.pins_in_triggered_runs ? { pins_in_triggered_runs: true } : {}),
  };
}
