/**
 * What the editor keeps in localStorage, keyed by workflow id: the unsaved draft
 * (autosaved, so a closed tab loses nothing) and the sticky notes (the backend's
 * workflow model has no field for them and rejects unknown node types).
 */
import type { Workflow } from "../api/types";
import type { StoredNote } from "./flowDoc";

export interface Draft {
  /** The server version this draft was edited from. */
  baseVersion: number;
  doc: Workflow;
  savedAt: string;
}

const draftKey = (workflowId: string) => `wirework.draft.${workflowId}`;
const notesKey = (workflowId: string) => `wirework.notes.${workflowId}`;

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

export function loadNotes(workflowId: string): StoredNote[] {
  return read<StoredNote[]>(notesKey(workflowId)) ?? [];
}

export function saveNotes(workflowId: string, notes: StoredNote[]): void {
  if (notes.length) localStorage.setItem(notesKey(workflowId), JSON.stringify(notes));
  else localStorage.removeItem(notesKey(workflowId));
}

/** Same content, ignoring `version` (a draft differs from the server only if content does). */
export function sameContent(a: Workflow, b: Workflow): boolean {
  return JSON.stringify({ ...a, version: 0 }) === JSON.stringify({ ...b, version: 0 });
}
