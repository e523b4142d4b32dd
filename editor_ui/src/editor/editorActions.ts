/**
 * The editor's named actions. The toolbar, the keyboard, the help dialog and the e2e
 * tests (through `window.wirework.actions`) all run these same commands.
 */
import { ActionRegistry } from "./actions";
import { useEditor } from "./editorStore";
import {
  cancelRun, copyNodes, duplicateNodes, pasteNodes, pinOutput, runPartial, runWorkflow, saveWorkflow, toggleDisabled, unpinNode,
} from "./workflowSession";
import { isWorkflowNode } from "./flowDoc";
import { canPin } from "./runBanner";

export interface EditorUiHooks {
  fitView(): void;
  centerOfView(): { x: number; y: number };
  openHelp(): void;
  openRunWithPayload(): void;
  openRunSettings(): void;
  focusPaletteSearch(): void;
  exportJson(): void;
  importJson(): void;
}

export function createEditorActions(ui: EditorUiHooks): ActionRegistry {
  const editor = () => useEditor.getState();
  /** The node a node action is about: the one selected, else the one in the inspector. */
  const target = () => editor().soleSelectedNodeId() ?? editor().inspectedNodeId;
  const targetSpec = () => {
    const id = target();
    const node = id ? editor().nodes.find((n) => n.id === id) : undefined;
    return node && isWorkflowNode(node) ? node.data.spec : undefined;
  };
  const onTarget = (work: (id: string) => void | Promise<void>) => () => {
    const id = target();
    if (id) return work(id);
  };
  return new ActionRegistry([
    { id: "workflow.save", title: "Save", shortcut: "mod+s", global: true, run: () => void saveWorkflow() },
    { id: "workflow.run", title: "Run now (saves first)", shortcut: "mod+enter", global: true, run: () => runWorkflow() },
    { id: "workflow.runWithPayload", title: "Run with a JSON payload…", shortcut: "mod+shift+enter", global: true, run: () => ui.openRunWithPayload() },
    { id: "workflow.cancelRun", title: "Cancel the running run", run: () => cancelRun() },
    { id: "edit.undo", title: "Undo", shortcut: "mod+z", run: () => editor().undo() },
    { id: "edit.redo", title: "Redo", shortcut: "mod+shift+z", altShortcuts: ["mod+y"], run: () => editor().redo() },
    // Copy/paste shortcuts arrive as the browser's copy/paste events (no clipboard permission needed).
    { id: "edit.copy", title: "Copy selected nodes (as JSON)", shortcut: "mod+c", run: () => copyNodes(false) },
    { id: "edit.cut", title: "Cut selected nodes", shortcut: "mod+x", run: () => copyNodes(true) },
    { id: "edit.paste", title: "Paste nodes", shortcut: "mod+v", run: () => pasteNodes() },
    { id: "edit.duplicate", title: "Duplicate selected nodes", shortcut: "mod+d", run: () => duplicateNodes() },
    { id: "edit.delete", title: "Delete selection", shortcut: "delete", altShortcuts: ["backspace"], run: () => editor().deleteSelection() },
    {
      id: "node.rename", title: "Rename the node (on the canvas)", shortcut: "f2",
      run: () => {
        const target = editor().soleSelectedNodeId() ?? editor().inspectedNodeId;
        if (target) editor().startRename(target);
      },
    },
    { id: "node.openDetail", title: "Open the node detail view (input, settings, output)", shortcut: "enter", run: onTarget((id) => editor().openNodeDetail(id)) },
    { id: "node.runFromHere", title: "Run from here (upstream outputs reused from the run shown)", run: onTarget((id) => runPartial(id, "start_at")) },
    { id: "node.runOnly", title: "Run this node only (its input reused from the run shown)", run: onTarget((id) => runPartial(id, "only")) },
    {
      id: "node.pinOutput", title: "Pin this output (the run shown's records, emitted instead of running)",
      available: () => { const id = target(); return !!id && canPin(editor().run, id); },
      run: onTarget((id) => {
        const run = editor().run;
        if (!run || !canPin(run, id)) {
          editor().showToast(`Nothing to pin: node ${id} has no output in the run shown; open a finished run first`, "error");
          return;
        }
        return pinOutput(id, run.runId);
      }),
    },
    { id: "node.unpin", title: "Remove the pinned data", available: () => !!targetSpec()?.pinned, run: onTarget((id) => unpinNode(id)) },
    {
      id: "node.toggleDisabled", title: "Disable / enable (a disabled node passes its input through)", shortcut: "d",
      run: () => {
        const selected = [...editor().selectedNodeIds()];
        const ids = selected.length ? selected : [editor().inspectedNodeId].filter((x): x is string => !!x);
        toggleDisabled(ids);
      },
    },
    { id: "edit.selectAll", title: "Select all", shortcut: "mod+a", run: () => editor().selectAll() },
    { id: "canvas.autoLayout", title: "Auto-layout", shortcut: "shift+l", run: () => { editor().autoLayout(); setTimeout(ui.fitView, 0); } },
    { id: "canvas.autoLayoutElk", title: "Auto-layout (ELK layered)", shortcut: "shift+k", run: async () => { await editor().autoLayoutElk(); setTimeout(ui.fitView, 0); } },
    { id: "canvas.fitView", title: "Fit the workflow in view", shortcut: "shift+1", altShortcuts: ["shift+!"], run: () => ui.fitView() },
    { id: "canvas.addNote", title: "Add a sticky note", shortcut: "n", run: () => void editor().addNote(ui.centerOfView()) },
    { id: "palette.search", title: "Search node types", shortcut: "/", run: () => ui.focusPaletteSearch() },
    { id: "workflow.runSettings", title: "Run settings (runs at once, memory, crash restarts)…", run: () => ui.openRunSettings() },
    { id: "workflow.export", title: "Export as JSON", run: () => ui.exportJson() },
    { id: "workflow.import", title: "Import JSON as a new workflow", run: () => ui.importJson() },
    { id: "help.shortcuts", title: "Keyboard shortcuts", shortcut: "?", run: () => ui.openHelp() },
  ]);
}

/** Actions whose shortcut is served by the browser's copy/cut/paste events instead of keydown. */
export const CLIPBOARD_EVENT_ACTIONS = new Set(["edit.copy", "edit.cut", "edit.paste"]);

/** What the right-click menu offers on a node (selection) and on the empty canvas. */
export const NODE_MENU = [
  "node.openDetail", "node.runFromHere", "node.runOnly", "node.pinOutput", "node.unpin", "node.toggleDisabled",
  "node.rename", "edit.copy", "edit.cut", "edit.duplicate", "edit.delete", "workflow.run",
];
export const PANE_MENU = ["edit.paste", "canvas.addNote", "edit.selectAll", "canvas.autoLayout", "canvas.autoLayoutElk", "canvas.fitView", "help.shortcuts"];
