/**
 * The open workflow's conversations with the server: open, validate, save (with
 * conflict handling), autosave of the local draft, runs and their live events, and the
 * system clipboard. Everything here acts on the editor store.
 */
import { api, ApiError, describeError } from "../api/client";
import { followAllRunEvents, followRunEvents, isActiveRun } from "../api/runEvents";
import type { Problem, RunRequest, Workflow } from "../api/types";
import { clipboardToText, copySelection, parseClipboardText, type ClipboardContent } from "../graph/clipboard";
import { cleanWorkflow } from "../api/workflowDoc";
import { clearDraft, loadDraft, sameContent, saveDraft, takeLegacyNotes, type Draft } from "./localDrafts";
import { selectDirty, useEditor } from "./editorStore";
import { isWorkflowNode, notesOf } from "./flowDoc";

const store = useEditor;

/** Open a workflow; returns an unsaved local draft of it, if one differs from the server. */
export async function openWorkflow(id: string): Promise<Draft | null> {
  const [types, doc] = await Promise.all([api.nodeTypes(), api.getWorkflow(id)]);
  store.getState().setNodeTypes(types);
  store.getState().load(doc);
  // The server answered the document with its problems: no second validation of the same
  // content while the canvas is still being drawn (on a 1,000-node workflow both compete for CPU).
  openedRevision = store.getState().revision;
  store.getState().setProblems(doc.problems);
  store.getState().setValidating(false);
  const draft = loadDraft(id);
  migrateLegacyNotes(id);
  if (draft && !sameContent(cleanWorkflow(draft.doc), cleanWorkflow(doc))) return draft;
  if (draft) clearDraft(id);
  return null;
}

/**
 * Notes an older editor kept in this browser's localStorage move into the open workflow,
 * once: they are taken out of localStorage and become an unsaved change (kept in the
 * draft until saved, one undo step). Notes the document already has (same id and text)
 * are not added twice.
 */
function migrateLegacyNotes(workflowId: string): void {
  const kept = takeLegacyNotes(workflowId);
  if (!kept.length) return; // the usual case: no document is built (1,000 nodes' worth) on every open
  const have = new Set(notesOf(store.getState().nodes).map((n) => `${n.id}\u0000${n.text}`));
  const legacy = kept.filter((n) => !have.has(`${n.id}\u0000${n.text}`));
  if (!legacy.length) return;
  store.getState().addNotes(legacy);
  store.getState().showToast(`${legacy.length} note(s) kept in this browser moved into the workflow: save to keep them`);
}

/**
 * Replace the canvas with a local draft. It keeps the version it was edited from, so if
 * the server moved on meanwhile, saving it raises the conflict dialog instead of
 * overwriting the newer version unseen.
 */
export function restoreDraft(draft: Draft): void {
  const state = store.getState();
  // A draft from before notes were saved in the document keeps the notes on the canvas.
  const notes = draft.doc.notes ?? state.document().notes;
  state.load({ ...draft.doc, notes, version: draft.baseVersion });
  // A restored draft is unsaved work: mark it dirty so Save and autosave see it.
  store.getState().markUnsaved();
}

export function discardDraft(): void {
  const meta = store.getState().meta;
  if (meta) clearDraft(meta.id);
}

let validationTimer: ReturnType<typeof setTimeout> | undefined;
let validationSeq = 0;
/** The revision just opened, whose problems came with the document (validated once, not twice). */
let openedRevision: number | null = null;

/** Validate the current draft on the server, debounced: the latest change wins. */
export function scheduleValidation(delayMs = 300): void {
  clearTimeout(validationTimer);
  const opened = openedRevision;
  openedRevision = null;
  if (store.getState().revision === opened) {
    validationSeq++; // an answer still on its way is for what was open before
    return;
  }
  validationTimer = setTimeout(async () => {
    const state = store.getState();
    if (!state.meta) return;
    const seq = ++validationSeq;
    state.setValidating(true);
    try {
      const result = await api.validate(state.document());
      if (seq === validationSeq) store.getState().setProblems(result.problems);
    } catch (error) {
      if (seq === validationSeq) {
        store.getState().setProblems([{ code: "validate_failed", message: `could not validate: ${describeError(error)}` }]);
      }
    } finally {
      if (seq === validationSeq) store.getState().setValidating(false);
    }
  }, delayMs);
}

let autosaveTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Keep the unsaved draft in localStorage, debounced; back at the saved state (e.g. by
 * undo) there is nothing unsaved, so the draft goes.
 */
export function scheduleAutosave(delayMs = 400): void {
  clearTimeout(autosaveTimer);
  autosaveTimer = setTimeout(() => {
    const state = store.getState();
    if (!state.meta) return;
    if (selectDirty(state)) {
      saveDraft(state.meta.id, { baseVersion: state.meta.version, doc: state.document(), savedAt: new Date().toISOString() });
    } else {
      clearDraft(state.meta.id);
    }
  }, delayMs);
}

/** Save to the server. A stale version opens the conflict dialog; nothing is lost. */
export async function saveWorkflow(): Promise<boolean> {
  const state = store.getState();
  if (!state.meta) return false;
  const doc = state.document();
  try {
    const saved = await api.saveWorkflow(doc);
    store.getState().markSaved(saved);
    clearDraft(saved.id);
    store.getState().showToast(`Saved version ${saved.version}`);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      saveDraft(doc.id, { baseVersion: doc.version, doc, savedAt: new Date().toISOString() });
      const current = error.body.current_version;
      store.getState().setConflict({ currentVersion: typeof current === "number" ? current : null, detail: error.detail });
    } else {
      store.getState().showToast(`Save failed: ${describeError(error)}`, "error");
    }
    return false;
  }
}

/** Conflict resolution 1: save this canvas over the newer server version. */
export async function overwriteServerVersion(): Promise<boolean> {
  const state = store.getState();
  if (!state.meta) return false;
  const latest = await api.getWorkflow(state.meta.id);
  store.setState({ meta: { ...state.meta, version: latest.version } });
  return saveWorkflow();
}

/** Conflict resolution 2: take the server's version (the local edits stay in the draft until then). */
export async function reloadFromServer(): Promise<void> {
  const meta = store.getState().meta;
  if (!meta) return;
  const latest = await api.getWorkflow(meta.id);
  clearDraft(meta.id);
  store.getState().load(latest);
}

export async function restoreVersion(version: number): Promise<void> {
  const meta = store.getState().meta;
  if (!meta) return;
  const restored = await api.restoreVersion(meta.id, version);
  clearDraft(meta.id);
  store.getState().load(restored);
  store.getState().showToast(`Restored version ${version} as version ${restored.version}`);
}

let liveRun: { close(): void } | null = null;

async function refreshRunDetail(runId: string): Promise<void> {
  try {
    store.getState().applyRunDetail(await api.getRun(runId));
  } catch {
    /* the live state stays as the events left it */
  }
}

/** Follow a run's events; if the stream is lost, poll the run until it ends. */
export function watchRun(runId: string): void {
  liveRun?.close();
  liveRun = followRunEvents(
    runId,
    (name, payload) => {
      store.getState().applyRunEvent(name, payload);
      if (name === "run_finished") void refreshRunDetail(runId);
    },
    () => void pollRun(runId),
  );
}

async function pollRun(runId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const run = store.getState().run;
    if (!run || run.runId !== runId) return;
    await refreshRunDetail(runId);
    if (!isActiveRun(store.getState().run?.status)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** "node X: message" for the first problems, for a refusal's toast. */
export function problemsText(problems: readonly Problem[], shown = 3): string {
  const parts = problems.slice(0, shown).map((p) => `${p.node ? `node ${p.node}: ` : ""}${p.message}${p.line ? ` (line ${p.line})` : ""}`);
  return parts.join("; ") + (problems.length > shown ? `; and ${problems.length - shown} more` : "");
}

/**
 * Before a run, unsaved changes are saved (a run names a version), but only once the server
 * says they are valid: an invalid workflow is refused here, and no new version is saved.
 */
async function saveValidForRun(): Promise<boolean> {
  const state = store.getState();
  if (!state.meta || !selectDirty(state)) return !!state.meta;
  let problems: Problem[];
  try {
    problems = (await api.validate(state.document())).problems;
  } catch (error) {
    state.showToast(`Not run: could not validate ${state.meta.name || state.meta.id}: ${describeError(error)}`, "error");
    return false;
  }
  store.getState().setProblems(problems);
  if (problems.length) {
    state.showToast(`Not run, nothing saved: ${state.meta.name || state.meta.id} has ${problems.length} problem(s): ${problemsText(problems)}`, "error");
    return false;
  }
  return saveWorkflow();
}

async function startAndFollow(body: RunRequest, what: string): Promise<void> {
  const meta = store.getState().meta;
  if (!meta) return;
  try {
    const { run_id } = await api.startRunWith(meta.id, body);
    store.getState().startLiveRun(run_id);
    watchRun(run_id);
    // The banner names the run's version and start; the nodes' state stays the events' (a detail
    // read now could answer older than an event that overtakes it).
    api.getRun(run_id).then(
      (detail) => store.getState().setRunInfo(run_id, { startedAt: detail.started_at, workflowVersion: detail.workflow_version }),
      () => undefined,
    );
  } catch (error) {
    // A 422 names what is missing (e.g. a node the reused run has no output of): shown as it is.
    store.getState().showToast(`${what} of ${meta.name || meta.id} did not start: ${describeError(error)}`, "error");
  }
}

/** Run the workflow as saved: unsaved changes are validated, then saved first. */
export async function runWorkflow(payload: unknown = null): Promise<void> {
  if (!(await saveValidForRun())) return;
  await startAndFollow({ payload }, "The run");
}

/**
 * The run whose outputs a partial run reuses: the run the canvas shows, else the workflow's
 * latest run; null (and a toast saying why) when there is none.
 */
async function runToReuse(): Promise<string | null> {
  const state = store.getState();
  if (!state.meta) return null;
  const shown = state.run;
  if (shown && !isActiveRun(shown.status)) return shown.runId;
  try {
    const [latest] = await api.listRuns({ workflow_id: state.meta.id, limit: 1 });
    if (latest && !isActiveRun(latest.status)) return latest.id;
  } catch (error) {
    state.showToast(`Could not find a run of ${state.meta.id} to reuse: ${describeError(error)}`, "error");
    return null;
  }
  state.showToast(`${state.meta.name || state.meta.id} has no finished run yet: run it once, then its outputs can be reused`, "error");
  return null;
}

/**
 * A partial run from node `nodeId`: `start_at` runs it and everything downstream, `only` runs
 * just it; the nodes upstream are not executed, their outputs come from `reuseFrom` (default:
 * the run shown, else the latest).
 */
export async function runPartial(nodeId: string, mode: "start_at" | "only", reuseFrom?: string): Promise<void> {
  const reuse = reuseFrom ?? (await runToReuse());
  if (!reuse) return;
  if (!(await saveValidForRun())) return;
  await startAndFollow({ [mode]: nodeId, reuse_from: reuse }, mode === "only" ? `Running node ${nodeId} alone` : `The run from node ${nodeId}`);
}

/** Records a pin may hold at most: a pin lives in the workflow document, which every save sends. */
export const MAX_PINNED_RECORDS = 10_000;

/**
 * Pin a node's output of a past run: its records become the node's `pinned` field, an
 * ordinary edit (one undo step, saved with Save); manual runs then emit them instead of
 * running the node.
 */
export async function pinOutput(nodeId: string, runId: string): Promise<void> {
  const state = store.getState();
  try {
    const first = await api.nodeRecords(runId, nodeId, "output", 0, 1000);
    if (first.total > MAX_PINNED_RECORDS) {
      state.showToast(`Not pinned: node ${nodeId} put out ${first.total} records in run ${runId}; a pin holds at most ${MAX_PINNED_RECORDS}`, "error");
      return;
    }
    const records = [...first.records];
    while (records.length < first.total) {
      const page = await api.nodeRecords(runId, nodeId, "output", records.length, 1000);
      if (!page.records.length) break;
      records.push(...page.records);
    }
    store.getState().updateNodeSpec(nodeId, { pinned: records });
    store.getState().showToast(`Pinned ${records.length} record(s) of run ${runId} on node ${nodeId}: save to keep the pin`);
  } catch (error) {
    state.showToast(`Could not pin the output of node ${nodeId} in run ${runId}: ${describeError(error)}`, "error");
  }
}

/** Drop a node's pin (one undo step); `undefined`, not null, so the field leaves the document. */
export function unpinNode(nodeId: string): void {
  store.getState().updateNodeSpec(nodeId, { pinned: undefined });
}

/** Disable the given nodes, or enable them when they all are disabled already (one undo step each way). */
export function toggleDisabled(nodeIds: readonly string[]): void {
  const state = store.getState();
  const specs = state.nodes.filter(isWorkflowNode).filter((n) => nodeIds.includes(n.id)).map((n) => n.data.spec);
  if (!specs.length) return;
  const enable = specs.every((spec) => spec.disabled);
  state.updateNodesSpec(nodeIds, { disabled: enable ? undefined : true });
}

/** Show a past run's per-node results on the canvas (a banner names the run, its time and version). */
export async function showRun(runId: string): Promise<void> {
  liveRun?.close();
  store.getState().startLiveRun(runId);
  const detail = await api.getRun(runId);
  store.getState().applyRunDetail(detail);
  if (isActiveRun(detail.status)) watchRun(runId);
}

export async function cancelRun(): Promise<void> {
  const run = store.getState().run;
  if (!run || !isActiveRun(run.status)) return;
  try {
    await api.cancelRun(run.runId);
    store.getState().showToast("Cancelling run…");
  } catch (error) {
    store.getState().showToast(`Cancel failed: ${describeError(error)}`, "error");
  }
}

/**
 * Show runs of this workflow that something else started (schedule, webhook, another
 * tab) as they happen, unless the canvas is already following an active run.
 */
export function watchWorkflowRuns(workflowId: string): { close(): void } {
  return followAllRunEvents((name, payload) => {
    if (name !== "run_queued" && name !== "run_started") return;
    if (payload.workflow_id !== workflowId || typeof payload.run_id !== "string") return;
    const current = store.getState().run;
    if (current && (current.runId === payload.run_id || isActiveRun(current.status))) return;
    void showRun(payload.run_id).catch(() => undefined);
  });
}

export function stopWatchingRun(): void {
  liveRun?.close();
  liveRun = null;
}

/** The canvas stops showing a run. */
export function closeRun(): void {
  stopWatchingRun();
  store.getState().clearRun();
}

// The clipboard: the system clipboard when the page may use it, else this tab's memory.
let memoryClipboard = "";

export async function copyNodes(cut = false): Promise<void> {
  const state = store.getState();
  const doc = state.document();
  const selected = state.selectedNodeIds();
  const content = copySelection(doc.nodes, doc.edges, selected);
  if (!content.nodes.length) return;
  const text = clipboardToText(content);
  memoryClipboard = text;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    /* no permission: the in-tab clipboard still works */
  }
  if (cut) state.deleteSelection();
  state.showToast(`${cut ? "Cut" : "Copied"} ${content.nodes.length} node(s)`);
}

export async function pasteNodes(text?: string): Promise<void> {
  let source = text;
  if (source === undefined) {
    try {
      source = await navigator.clipboard.readText();
    } catch {
      source = memoryClipboard;
    }
    if (!parseClipboardText(source)) source = memoryClipboard;
  }
  const content: ClipboardContent | null = parseClipboardText(source);
  if (!content) {
    store.getState().showToast("The clipboard holds no wirework nodes", "error");
    return;
  }
  store.getState().pasteContent(content, { x: 40, y: 40 });
}

/** Copy the selected nodes (and the wires between them) next to themselves, without the clipboard. */
export function duplicateNodes(): void {
  const state = store.getState();
  const doc = state.document();
  const content = copySelection(doc.nodes, doc.edges, state.selectedNodeIds());
  state.pasteContent(content, { x: 40, y: 40 });
}

export function exportDocument(): Workflow {
  return store.getState().document();
}

/** The selection as clipboard JSON (null when nothing is selected), for the browser's copy event. */
export function selectionAsClipboardText(): string | null {
  const state = store.getState();
  const doc = state.document();
  const content = copySelection(doc.nodes, doc.edges, state.selectedNodeIds());
  if (!content.nodes.length) return null;
  const text = clipboardToText(content);
  memoryClipboard = text;
  return text;
}
