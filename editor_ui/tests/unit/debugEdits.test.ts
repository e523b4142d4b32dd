/** Issue 16's document edits in the editor store: pins and disabled nodes are ordinary, undoable edits. */
import { beforeEach, describe, expect, it } from "vitest";
import { selectDirty, useEditor } from "../../src/editor/editorStore";
import { toggleDisabled, unpinNode } from "../../src/editor/workflowSession";
import type { NodeTypeInfo, Workflow } from "../../src/api/types";

const types: NodeTypeInfo[] = [
  { type: "python.map", category: "transform", title: "Map", description: "", config_schema: { properties: { code: { type: "string" } } } },
];
const node = (id: string, x: number) => ({ id, type: "python.map", label: "", position: { x, y: 0 }, config: { code: "x" }, retries: 0, retry_delay_s: 0, timeout_s: null });
const doc = {
  id: "w", name: "W", version: 2, description: "", nodes: [node("a", 0), node("b", 300)], edges: [{ id: "a->b", source: "a", target: "b" }],
  schedule: { cron: null, timezone: "UTC", enabled: false }, memory_mb: null, retry_crashed: 0, max_concurrent_runs: null, notes: [],
} as Workflow;

const editor = () => useEditor.getState();
const spec = (id: string) => editor().document().nodes.find((n) => n.id === id)!;

beforeEach(() => {
  editor().setNodeTypes(types);
  editor().load(doc);
});

describe("pins and disabled nodes", () => {
  it("pins records as one undo step and unpins back to no field at all", () => {
    editor().updateNodeSpec("a", { pinned: [{ id: "1" }, { id: "2" }] });
    expect(spec("a").pinned).toEqual([{ id: "1" }, { id: "2" }]);
    expect(selectDirty(editor())).toBe(true);
    editor().undo();
    expect(spec("a").pinned).toBeUndefined();
    expect(selectDirty(editor())).toBe(false);
    editor().redo();
    unpinNode("a");
    // Gone from the document (not `null`), as before it was pinned.
    expect(JSON.parse(JSON.stringify(editor().document())).nodes[0]).not.toHaveProperty("pinned");
  });

  it("disables the selected nodes together, and enables them when all are disabled", () => {
    toggleDisabled(["a", "b"]);
    expect([spec("a").disabled, spec("b").disabled]).toEqual([true, true]);
    editor().undo(); // one step for both
    expect([spec("a").disabled, spec("b").disabled]).toEqual([undefined, undefined]);
    editor().redo();
    toggleDisabled(["a", "b"]);
    expect([spec("a").disabled, spec("b").disabled]).toEqual([undefined, undefined]);
    toggleDisabled(["a"]);
    toggleDisabled(["a", "b"]); // not all disabled: both become disabled
    expect([spec("a").disabled, spec("b").disabled]).toEqual([true, true]);
  });

  it("opens the node detail view for workflow nodes only, and a new document closes it", () => {
    editor().openNodeDetail("b");
    expect(editor().detailNodeId).toBe("b");
    expect(editor().inspectedNodeId).toBe("b");
    editor().closeNodeDetail();
    editor().openNodeDetail("nope");
    expect(editor().detailNodeId).toBeNull();
    editor().openNodeDetail("a");
    editor().load(doc);
    expect(editor().detailNodeId).toBeNull();
  });

  it("names the shown run's start and version without touching its nodes", () => {
    editor().startLiveRun("r1");
    editor().applyRunEvent("node_started", { run_id: "r1", node_id: "a", attempt: 1, records_in: 1, at: "2026-01-01T00:00:00Z" });
    editor().setRunInfo("r1", { startedAt: "2026-01-01T00:00:00Z", workflowVersion: 2 });
    editor().setRunInfo("other", { startedAt: null, workflowVersion: 9 });
    const run = editor().run!;
    expect([run.startedAt, run.workflowVersion, run.nodes.a.status]).toEqual(["2026-01-01T00:00:00Z", 2, "running"]);
  });
});
