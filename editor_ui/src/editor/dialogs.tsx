/** The editor's dialogs: save conflict, unsaved draft found, keyboard shortcuts. */
import { useState } from "react";
import { Modal } from "../ui/Modal";
import { formatShortcut, type ActionRegistry } from "./actions";
import { useEditor } from "./editorStore";
import { overwriteServerVersion, reloadFromServer } from "./workflowSession";
import { describeError } from "../api/client";
import type { Draft } from "./localDrafts";
import { formatTime } from "../ui/format";

export function ConflictDialog() {
  const conflict = useEditor((s) => s.conflict);
  const version = useEditor((s) => s.meta?.version);
  const setConflict = useEditor((s) => s.setConflict);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!conflict) return null;
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      setConflict(null);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="This workflow changed on the server" testId="conflict-dialog">
      <p>
        You edited version {version}, but the server already has version {conflict.currentVersion ?? "newer"} (saved from
        another tab or by someone else). Your changes are kept in a local draft until you choose.
      </p>
      {conflict.detail && <p className="muted small">{conflict.detail}</p>}
      {error && <p className="error">{error}</p>}
      <div className="modal-actions">
        <button type="button" disabled={busy} onClick={() => act(reloadFromServer)} data-testid="conflict-reload">
          Reload the server's version (drop my changes)
        </button>
        <button type="button" disabled={busy} className="danger" onClick={() => act(overwriteServerVersion)} data-testid="conflict-overwrite">
          Overwrite with my version
        </button>
        <button type="button" disabled={busy} onClick={() => setConflict(null)}>Decide later</button>
      </div>
    </Modal>
  );
}

export function DraftDialog({ draft, onRestore, onDiscard }: { draft: Draft; onRestore: () => void; onDiscard: () => void }) {
  return (
    <Modal title="Unsaved changes found" testId="draft-dialog">
      <p>
        This browser kept unsaved edits of this workflow from {formatTime(draft.savedAt)}, made on version {draft.baseVersion}.
      </p>
      <div className="modal-actions">
        <button type="button" onClick={onRestore} data-testid="draft-restore">Restore my draft</button>
        <button type="button" onClick={onDiscard} data-testid="draft-discard">Discard it</button>
      </div>
    </Modal>
  );
}

const CANVAS_HELP = "Drag on the empty canvas to select; scroll, middle-drag or Space+drag to pan; Ctrl+scroll to zoom; right-click for a menu.";

/** Every action of a registry with its shortcuts; `note` replaces the canvas tips (e.g. in the labeling view). */
export function HelpDialog({ actions, onClose, note = CANVAS_HELP }: { actions: ActionRegistry; onClose: () => void; note?: string }) {
  const mac = navigator.platform.toLowerCase().includes("mac");
  return (
    <Modal title="Keyboard shortcuts and actions" onClose={onClose} testId="help-dialog">
      <table className="shortcuts">
        <tbody>
          {actions.list().map((a) => (
            <tr key={a.id}>
              <td>{a.title}</td>
              <td>{[a.shortcut, ...(a.altShortcuts ?? [])].filter(Boolean).map((s) => <kbd key={s}>{formatShortcut(s!, mac)}</kbd>)}</td>
              <td className="muted small">{a.id}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">{note}</p>
      <div className="modal-actions"><button type="button" onClick={onClose}>Close</button></div>
    </Modal>
  );
}

/** Ask for the trigger payload of a manual run (what a webhook would POST). */
export function RunPayloadDialog({ onRun, onClose }: { onRun: (payload: unknown) => void; onClose: () => void }) {
  const [text, setText] = useState('{\n  \n}');
  let problem: string | null = null;
  let payload: unknown = null;
  try {
    payload = text.trim() ? JSON.parse(text) : null;
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  return (
    <Modal title="Run with a payload" onClose={onClose} testId="run-payload-dialog">
      <p className="muted small">Source nodes receive it as <code>record["payload"]</code> of the trigger record.</p>
      <textarea rows={8} style={{ width: "100%", fontFamily: "monospace" }} value={text}
                onChange={(e) => setText(e.target.value)} data-testid="run-payload" />
      {problem && <p className="error small">Not JSON: {problem}</p>}
      <div className="modal-actions">
        <button type="button" onClick={onClose}>Cancel</button>
        <button type="button" className="primary" disabled={!!problem} onClick={() => { onRun(payload); onClose(); }}>Run</button>
      </div>
    </Modal>
  );
}
