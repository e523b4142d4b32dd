/** A workflow node on the canvas: title, type, live run status and config problems. */
import { memo, useState } from "react";
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { useShallow } from "zustand/react/shallow";
import { useEditor } from "./editorStore";
import { inputModeOf } from "../graph/rules";
import type { WorkflowFlowNode } from "./flowDoc";
import { formatDuration } from "../ui/format";

function WorkflowNodeViewImpl({ id, data, selected }: NodeProps<WorkflowFlowNode>) {
  const spec = data.spec;
  // One store subscription per node, not five: a 1,000-node workflow mounts 1,000 of them
  // when it opens, and every store change runs each one (shallow: re-rendered only when one changes).
  const { category, inputs, problems, status, renaming } = useEditor(useShallow((s) => ({
    category: s.nodeTypes[spec.type]?.category,
    inputs: inputModeOf(s.nodeTypes[spec.type]),
    problems: s.problemsByNode[id],
    status: s.run?.nodes[id],
    renaming: s.renamingNodeId === id,
  })));
  const hasProblem = !!problems?.length;
  const title = hasProblem ? problems.map((p) => p.message).join("\n") : spec.type;
  const classes = ["wf-node", `cat-${category ?? "unknown"}`];
  if (hasProblem) classes.push("has-problem");
  if (selected) classes.push("selected");
  if (status) classes.push(`status-${status.status}`);
  if (spec.disabled) classes.push("node-disabled");
  return (
    <div className={classes.join(" ")} title={title} data-testid={`node-${id}`} data-status={status?.status ?? ""}
         data-disabled={spec.disabled ? "true" : undefined}>
      {inputs !== "none" && <Handle type="target" position={Position.Left} />}
      {renaming ? <TitleInput initial={spec.label || spec.id} /> : (
        <div className="wf-node-title" onDoubleClick={(e) => { e.stopPropagation(); useEditor.getState().startRename(id); }}>
          {spec.label || spec.id}
        </div>
      )}
      <div className="wf-node-type">{spec.type}</div>
      {status && (
        <div className="wf-node-status" data-testid={`node-status-${id}`}>
          <span className={`badge badge-${status.status}`}>{status.status.replace("_", " ")}</span>
          {status.records_in !== null && status.records_in !== undefined && (
            <span className="counts">{status.records_in} → {status.records_out ?? "…"}</span>
          )}
          {status.duration_s !== null && status.duration_s !== undefined && <span>{formatDuration(status.duration_s)}</span>}
        </div>
      )}
      {(spec.pinned || spec.disabled) && (
        <div className="wf-node-flags">
          {spec.pinned && <span className="badge badge-pinned" data-testid={`node-pin-${id}`} title="Manual runs emit these pinned records instead of running the node">{spec.pinned.length} pinned</span>}
          {spec.disabled && <span className="badge badge-skipped" data-testid={`node-disabled-${id}`}>disabled</span>}
        </div>
      )}
      {hasProblem && <div className="wf-node-problem">{problems[0].message}</div>}
      <Handle type="source" position={Position.Right} />
    </div>
  );
}

/** The title, editable in place: Enter or leaving the field keeps it, Escape cancels. */
function TitleInput({ initial }: { initial: string }) {
  const [value, setValue] = useState(initial);
  const finish = useEditor((s) => s.finishRename);
  return (
    <input
      className="wf-node-rename nodrag"
      data-testid="node-rename"
      aria-label="Node label"
      autoFocus
      value={value}
      onFocus={(e) => e.currentTarget.select()}
      onChange={(e) => setValue(e.target.value)}
      onBlur={() => finish(value)}
      onKeyDown={(e) => {
        // Keys stay in the field (no canvas shortcuts while typing a name).
        e.stopPropagation();
        if (e.key === "Enter") finish(value);
        else if (e.key === "Escape") finish(null);
      }}
    />
  );
}

export const WorkflowNodeView = memo(WorkflowNodeViewImpl);
