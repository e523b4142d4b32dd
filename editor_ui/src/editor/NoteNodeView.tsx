/** A sticky note: free text on the canvas, kept client-side (see localDrafts.ts). */
import { memo } from "react";
import { NodeResizer, type NodeProps } from "@xyflow/react";
import { useEditor } from "./editorStore";
import type { NoteFlowNode } from "./flowDoc";

function NoteNodeViewImpl({ id, data, selected }: NodeProps<NoteFlowNode>) {
  const updateNote = useEditor((s) => s.updateNote);
  return (
    <div className="note-node" data-testid={`note-${id}`}>
      <NodeResizer isVisible={selected} minWidth={120} minHeight={60} />
      <textarea
        className="nodrag nowheel"
        placeholder="Note…"
        value={data.text}
        onChange={(e) => updateNote(id, e.target.value)}
      />
    </div>
  );
}

export const NoteNodeView = memo(NoteNodeViewImpl);
