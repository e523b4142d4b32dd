/** The side panel for the inspected node: its settings, or its result in the run shown; ⤢ opens the node detail view. */
import { useState } from "react";
import { useEditor } from "./editorStore";
import { isWorkflowNode } from "./flowDoc";
import { NodeRunView } from "./NodeRunView";
import { NodeSettings } from "./NodeSettings";

export function NodePanel({ nodeId }: { nodeId: string }) {
  const exists = useEditor((s) => s.nodes.some((n) => n.id === nodeId && isWorkflowNode(n)));
  const nodeRun = useEditor((s) => s.run?.nodes[nodeId]);
  const runId = useEditor((s) => s.run?.runId);
  const [tab, setTab] = useState<"config" | "output">("config");

  if (!exists) return null;
  return (
    <div className="node-panel" data-testid="node-panel">
      <div className="panel-tabs">
        <button type="button" className={tab === "config" ? "active" : ""} onClick={() => setTab("config")}>Config</button>
        <button type="button" className={tab === "output" ? "active" : ""} onClick={() => setTab("output")} disabled={!runId}
                data-testid="tab-output">
          Output{nodeRun ? ` (${nodeRun.status.replace("_", " ")})` : ""}
        </button>
        <button type="button" onClick={() => useEditor.getState().openNodeDetail(nodeId)} data-testid="open-node-detail"
                title="Open the node detail view: input, settings and output side by side (Enter, or double-click the node)">⤢ Detail</button>
      </div>
      {tab === "output" && runId ? <NodeRunView runId={runId} nodeId={nodeId} /> : <NodeSettings nodeId={nodeId} />}
    </div>
  );
}
