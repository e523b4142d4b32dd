/**
 * What the editor keeps in localStorage, keyed by workflow id: the unsaved draft
 * (autosaved, so a closed tab loses nothing). Sticky notes are part of the workflow
 * document now; the notes an older editor kept here are taken out once
 * (`takeLegacyNotes`) and moved into the open workflow.
 */
import type { Workflow } from "../api/types";
import { NODE_ID_PATTERN } from "../graph/nodeIds";
import type { StoredNote } from "./flowDoc";

export interface Draft {
  /** The server version this draft was edited from. */
  baseVersion: number;
  doc: Workflow;
  savedAt: string;
}

const draftKey = (workflowId: string) => `wirework.draft.${workflowId}`;
/** Where editors before notes-in-the-document kept them. */
export const legacyNotesKey = (workflowId: string) => `wirework.notes.${workflowId}`;

function read<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

export function loadDraft(workflowId: string): Draft | null {
  return read<Draft>(draftKey(workflowId));
}

export function saveDraft(workflowId: string, draft: Draft): void {
  localStorage.setItem(draftKey(workflowId), JSON.stringify(draft));
}

export function clearDraft(workflowId: string): void {
  localStorage.removeItem(draftKey(workflowId));
}

/** The notes an older editor kept for this workflow, removed from localStorage (read once). */
export function takeLegacyNotes(workflowId: string): StoredNote[] {
  const stored = read<unknown>(legacyNotesKey(workflowId));
  localStorage.removeItem(legacyNotesKey(workflowId));
  if (!Array.isArray(stored)) return [];
  return stored.filter(
    (n): n is StoredNote => !!n && typeof n === "object" && typeof n.id === "string" && typeof n.text === "string",
  ).map((n) => ({
    // An id the model refuses becomes a fresh one when the notes are added (see notesToFlowNodes).
    id: NODE_ID_PATTERN.test(n.id) ? n.id : "note", text: n.text,
    position: { x: Number(n.position?.x) || 0, y: Number(n.position?.y) || 0 },
    width: typeof n.width === "number" ? n.width : null,
    height: typeof n.height === "number" ? n.height : null,
  }));
}

/** Same content, ignoring `version` (a draft differs from the server only if content does). */
export function sameContent(a: Workflow, b: Workflow): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}
