/** A sticky note: free text on the canvas, saved in the workflow document's `notes`. */
import { memo, useEffect, useRef } from "react";
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { useEditor } from "./editorStore";
import type { NoteFlowNode } from "./flowDoc";

function NoteNodeViewImpl({ id, data, selected }: NodeProps<NoteFlowNode>) {
  const updateNote = useEditor((s) => s.updateNote);
  const takesFocus = useEditor((s) => s.focusNoteId === id);
  const text = useRef<HTMLTextAreaElement>(null);

  // A note just added (N, the toolbar, the menu) gets the keyboard, so the next keys are its text.
  useEffect(() => {
    if (!takesFocus || !text.current) return;
    text.current.focus();
    useEditor.getState().noteFocused();
  }, [takesFocus]);

  return (
    <div className="note-node" data-testid={`note-${id}`}>
      <NodeResizer isVisible={selected} minWidth={120} minHeight={60} />
      <textarea
        ref={text}
        className="nodrag nowheel"
        placeholder="Note…"
        value={data.text}
        onChange={(e) => updateNote(id, e.target.value)}
      />
    </div>
  );
}

export const NoteNodeView = memo(NoteNodeViewImpl);
