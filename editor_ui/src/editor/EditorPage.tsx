/** The workflow editor: toolbar, palette, canvas and side panel, wired to the named actions. */
import { useEffect, useMemo, useRef, useState } from "react";
import { ReactFlowProvider, useReactFlow } from "@xyflow/react";
import { api, describeError } from "../api/client";
import { navigate } from "../router";
import { Canvas } from "./Canvas";
import { Palette } from "./Palette";
import { NodePanel } from "./NodePanel";
import { WorkflowPanel } from "./WorkflowPanel";
import { ConflictDialog, DraftDialog, HelpDialog, RunPayloadDialog } from "./dialogs";
import { RunSettingsDialog } from "./RunSettingsDialog";
import { selectDirty, useEditor } from "./editorStore";
import { CLIPBOARD_EVENT_ACTIONS, createEditorActions, NODE_MENU, PANE_MENU } from "./editorActions";
import { ContextMenu, type ContextMenuState } from "./ContextMenu";
import type { ActionRegistry } from "./actions";
import type { Draft } from "./localDrafts";
import {
  discardDraft, exportDocument, openWorkflow, pasteNodes, restoreDraft, runWorkflow, scheduleAutosave, scheduleValidation,
  selectionAsClipboardText, showRun, stopWatchingRun, watchWorkflowRuns,
} from "./workflowSession";
import { RunBanner } from "./RunBanner";
import { NodeDetailView } from "./NodeDetailView";
import { isActiveRun } from "../api/runEvents";
import { useKeyboardActions } from "./useKeyboardActions";
import { ResizablePanel } from "../ui/ResizablePanel";
import { Skeleton } from "../ui/Skeleton";

declare global {
  interface Window {
    /** For tests and benchmarks: the same actions the UI runs, the store and the canvas. */
    wirework?: { actions: ActionRegistry; editor: typeof useEditor; flow: ReturnType<typeof useReactFlow> };
  }
}

function downloadJson(filename: string, data: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** `runId`: opened "at this run" (from the run detail page): that run's results on the canvas, under a banner. */
export function EditorPage({ workflowId, runId }: { workflowId: string; runId?: string }) {
  return (
    <ReactFlowProvider>
      <EditorWorkspace workflowId={workflowId} runId={runId} />
    </ReactFlowProvider>
  );
}

function EditorWorkspace({ workflowId, runId }: { workflowId: string; runId?: string }) {
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [payloadOpen, setPayloadOpen] = useState(false);
  const [runSettingsOpen, setRunSettingsOpen] = useState(false);
  const [menu, setMenu] = useState<ContextMenuState | null>(null);
  const meta = useEditor((s) => s.meta);
  const loaded = meta?.id === workflowId;
  const inspectedNodeId = useEditor((s) => s.inspectedNodeId);
  const detailNodeId = useEditor((s) => s.detailNodeId);
  const revision = useEditor((s) => s.revision);
  const flow = useReactFlow();
  const importInput = useRef<HTMLInputElement>(null);
  const paletteSearch = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let alive = true;
    setLoadError(null);
    useEditor.setState({ meta: null });
    openWorkflow(workflowId).then(
      (found) => alive && setDraft(found),
      (error) => alive && setLoadError(describeError(error)),
    );
    const otherRuns = watchWorkflowRuns(workflowId);
    return () => {
      alive = false;
      otherRuns.close();
      stopWatchingRun();
    };
  }, [workflowId]);

  // Opened at a run: show it once the workflow is on the canvas.
  useEffect(() => {
    if (!loaded || !runId) return;
    showRun(runId).catch((error) => useEditor.getState().showToast(`Could not show run ${runId} of ${workflowId}: ${describeError(error)}`, "error"));
  }, [loaded, runId, workflowId]);

  // Every change to the document: validate on the server and keep a local draft (both debounced).
  useEffect(() => {
    if (!loaded) return;
    scheduleValidation();
    scheduleAutosave();
  }, [revision, loaded]);

  const actions = useMemo(
    () =>
      createEditorActions({
        fitView: () => flow.fitView({ padding: 0.2, duration: 200 }),
        centerOfView: () => centerOf(flow),
        openHelp: () => setHelpOpen(true),
        openRunWithPayload: () => setPayloadOpen(true),
        openRunSettings: () => setRunSettingsOpen(true),
        focusPaletteSearch: () => paletteSearch.current?.querySelector("input")?.focus(),
        exportJson: () => {
          const doc = exportDocument();
          downloadJson(`${doc.id}.json`, doc);
        },
        importJson: () => importInput.current?.click(),
      }),
    [flow],
  );

  useEffect(() => {
    window.wirework = { actions, editor: useEditor, flow };
  }, [actions, flow]);

  useKeyboardActions(actions, CLIPBOARD_EVENT_ACTIONS, loaded);

  // Copy/paste through the browser's clipboard events: works across tabs without a permission prompt.
  useEffect(() => {
    const inField = () => {
      const el = document.activeElement;
      return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || (el as HTMLElement).isContentEditable);
    };
    const onCopy = (event: ClipboardEvent, cut: boolean) => {
      if (inField()) return;
      const text = selectionAsClipboardText();
      if (!text) return;
      event.clipboardData?.setData("text/plain", text);
      event.preventDefault();
      if (cut) useEditor.getState().deleteSelection();
    };
    const copy = (e: ClipboardEvent) => onCopy(e, false);
    const cut = (e: ClipboardEvent) => onCopy(e, true);
    const paste = (event: ClipboardEvent) => {
      if (inField()) return;
      const text = event.clipboardData?.getData("text/plain");
      event.preventDefault();
      void pasteNodes(text || undefined);
    };
    document.addEventListener("copy", copy);
    document.addEventListener("cut", cut);
    document.addEventListener("paste", paste);
    return () => {
      document.removeEventListener("copy", copy);
      document.removeEventListener("cut", cut);
      document.removeEventListener("paste", paste);
    };
  }, []);

  const onImportFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      const created = await api.importWorkflow(JSON.parse(await file.text()));
      navigate({ page: "editor", workflowId: created.id });
    } catch (error) {
      useEditor.getState().showToast(`Import failed: ${describeError(error)}`, "error");
    }
  };

  if (loadError) return <div className="page"><p className="error">Could not open “{workflowId}”: {loadError}</p><a href="#/">Back to workflows</a></div>;
  if (!loaded) return <div className="editor"><Skeleton variant="canvas" label={`Loading ${workflowId}`} /></div>;

  return (
    <div className="editor" data-testid="editor">
      <Toolbar actions={actions} />
      <div className="editor-body">
        <ResizablePanel id="palette" side="left" title="node palette" defaultWidth={220} min={160} max={420}>
          <div ref={paletteSearch} className="palette-wrap">
            <Palette onAdd={(type) => {
              // Added with one node selected: it continues from that node (placed right of it, wired).
              const editor = useEditor.getState();
              const from = editor.soleSelectedNodeId();
              editor.addNode(type, centerOf(flow), from ? { connectFrom: from } : {});
            }} />
          </div>
        </ResizablePanel>
        {/* The run banner floats over the canvas: a run starting does not shift the nodes down. */}
        <Canvas onContextMenu={(at, onNode) => setMenu({ ...at, actionIds: onNode ? NODE_MENU : PANE_MENU })}>
          <RunBanner />
        </Canvas>
        <ResizablePanel id="inspector" side="right" title="inspector" className="side-panel"
                        defaultWidth={440} min={300} max={1100}>
          {inspectedNodeId ? <NodePanel key={inspectedNodeId} nodeId={inspectedNodeId} /> : <WorkflowPanel />}
        </ResizablePanel>
      </div>
      <input ref={importInput} type="file" accept="application/json,.json" hidden
             onChange={(e) => { void onImportFile(e.target.files?.[0]); e.target.value = ""; }} />
      <ConflictDialog />
      {draft && (
        <DraftDialog
          draft={draft}
          onRestore={() => { restoreDraft(draft); setDraft(null); }}
          onDiscard={() => { discardDraft(); setDraft(null); }}
        />
      )}
      {detailNodeId && <NodeDetailView key={detailNodeId} nodeId={detailNodeId} onClose={() => useEditor.getState().closeNodeDetail()} />}
      {menu && <ContextMenu menu={menu} actions={actions} onClose={() => setMenu(null)} />}
      {helpOpen && <HelpDialog actions={actions} onClose={() => setHelpOpen(false)} />}
      {runSettingsOpen && <RunSettingsDialog onClose={() => setRunSettingsOpen(false)} />}
      {payloadOpen && <RunPayloadDialog onRun={(payload) => void runWorkflow(payload)} onClose={() => setPayloadOpen(false)} />}
      <Toast />
    </div>
  );
}

function centerOf(flow: ReturnType<typeof useReactFlow>) {
  const canvas = document.querySelector(".canvas")?.getBoundingClientRect();
  if (!canvas) return { x: 0, y: 0 };
  const p = flow.screenToFlowPosition({ x: canvas.left + canvas.width / 2, y: canvas.top + canvas.height / 2 });
  return { x: Math.round(p.x - 80), y: Math.round(p.y - 20) };
}

function Toolbar({ actions }: { actions: ActionRegistry }) {
  const meta = useEditor((s) => s.meta)!;
  const dirty = useEditor(selectDirty);
  useEffect(() => {
    document.title = `${dirty ? "• " : ""}${meta.name || meta.id} — wirework`;
    return () => {
      document.title = "wirework";
    };
  }, [dirty, meta.name, meta.id]);
  const canUndo = useEditor((s) => s.canUndo);
  const canRedo = useEditor((s) => s.canRedo);
  const problemCount = useEditor((s) => s.problems.length);
  const validating = useEditor((s) => s.validating);
  const run = useEditor((s) => s.run);
  const running = isActiveRun(run?.status);
  const button = (id: string, label: string, extra: { disabled?: boolean; className?: string } = {}) => (
    <button type="button" title={actions.get(id).title} data-action={id} disabled={extra.disabled}
            className={extra.className} onClick={() => void actions.run(id)}>
      {label}
    </button>
  );
  return (
    <div className="toolbar">
      <a href="#/" className="back">←</a>
      <strong className="wf-name" data-testid="workflow-name">{meta.name || meta.id}</strong>
      <span className="version" data-testid="workflow-version">v{meta.version}</span>
      <span className={dirty ? "dirty" : "saved"} data-testid="save-state">{dirty ? "unsaved changes" : "saved"}</span>
      <span className={problemCount ? "problem-count error" : "problem-count ok"} data-testid="problem-count">
        {validating ? "checking…" : problemCount ? `${problemCount} problem(s)` : "valid"}
      </span>
      <span className="spacer" />
      {button("edit.undo", "Undo", { disabled: !canUndo })}
      {button("edit.redo", "Redo", { disabled: !canRedo })}
      {button("canvas.autoLayout", "Layout")}
      {button("canvas.addNote", "Note")}
      {button("workflow.import", "Import")}
      {button("workflow.export", "Export")}
      {button("workflow.runSettings", "Run settings")}
      {button("help.shortcuts", "?")}
      {button("workflow.save", "Save", { className: dirty ? "primary" : "" })}
      {running ? button("workflow.cancelRun", "Cancel run", { className: "danger" }) : (
        <>
          {button("workflow.run", "▶ Run", { className: "primary" })}
          {button("workflow.runWithPayload", "Run with…")}
        </>
      )}
      {run && <span className={`badge badge-${run.status}`} data-testid="run-status">{run.status}</span>}
    </div>
  );
}

function Toast() {
  const toast = useEditor((s) => s.toast);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => useEditor.setState({ toast: null }), toast.kind === "error" ? 6000 : 2500);
    return () => clearTimeout(timer);
  }, [toast]);
  if (!toast) return null;
  return <div className={`toast ${toast.kind}`} role="status" data-testid="toast">{toast.text}</div>;
}
