import { beforeEach, describe, expect, it } from "vitest";
import { useEditor } from "../../src/editor/editorStore";
import { SOURCE_HANDLE, TARGET_HANDLE, WORKFLOW_NODE_BOX, withExpectedGeometry } from "../../src/editor/nodeGeometry";
import type { NodeTypeInfo, Workflow } from "../../src/api/types";
import type { FlowNode } from "../../src/editor/flowDoc";

const types: NodeTypeInfo[] = [
  { type: "store.read", category: "source", title: "Read", description: "", config_schema: {} },
  { type: "python.map", category: "transform", title: "Map", description: "", config_schema: {} },
];

const spec = (id: string, type: string) =>
  ({ id, type, label: "", position: { x: 0, y: 0 }, config: {}, retries: 0, retry_delay_s: 0, timeout_s: null });

const doc: Workflow = {
  id: "w", name: "W", version: 1, description: "",
  nodes: [spec("src", "store.read"), spec("m", "python.map"), spec("odd", "no.such.type")],
  edges: [{ id: "e", source: "src", target: "m" }],
  schedule: { cron: null, timezone: "UTC", enabled: false },
  memory_mb: null, retry_crashed: 0, max_concurrent_runs: null,
  notes: [{ id: "note", text: "hi", position: { x: 0, y: 300 }, width: 150, height: 90 }],
};

describe("nodes opened with their expected geometry", () => {
  beforeEach(() => {
    useEditor.getState().setNodeTypes(types);
    useEditor.getState().load(doc);
  });
  const byId = (id: string) => useEditor.getState().nodes.find((n) => n.id === id)!;

  it("gives every workflow node the drawn size, and handles by whether its type takes input", () => {
    expect(byId("m").measured).toEqual(WORKFLOW_NODE_BOX);
    expect(byId("m").handles).toEqual([TARGET_HANDLE, SOURCE_HANDLE]);
    // A source takes no records: no target handle (WorkflowNodeView draws none).
    expect(byId("src").handles).toEqual([SOURCE_HANDLE]);
    // An unknown type is drawn with an input, as inputModeOf says.
    expect(byId("odd").handles).toEqual([TARGET_HANDLE, SOURCE_HANDLE]);
  });

  it("leaves notes and measured nodes alone, and the document without it", () => {
    expect(byId("note").measured).toBeUndefined();
    expect(byId("note").handles).toBeUndefined();
    const measured = { ...byId("m"), measured: { width: 200, height: 60 } } as FlowNode;
    expect(withExpectedGeometry([measured], () => "records")[0]).toBe(measured);
    expect(useEditor.getState().document()).toEqual(doc);
  });
});
