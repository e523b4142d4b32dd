import { beforeEach, describe, expect, it } from "vitest";
import { selectDirty, useEditor } from "../../src/editor/editorStore";
import type { NodeTypeInfo, Workflow } from "../../src/api/types";

const types: NodeTypeInfo[] = [
  { type: "store.read", category: "source", title: "Read", description: "", config_schema: { properties: { store: { type: "string", format: "store" } } } },
  { type: "python.map", category: "transform", title: "Map", description: "",
    config_schema: { properties: { code: { type: "string", format: "python", default: "def node(record): return record" } } } },
];

const doc: Workflow = {
  id: "w", name: "W", version: 4, description: "",
  nodes: [
    { id: "src", type: "store.read", label: "", position: { x: 0, y: 0 }, config: { store: "s" }, retries: 0, retry_delay_s: 0, timeout_s: null },
    { id: "m", type: "python.map", label: "", position: { x: 200, y: 0 }, config: { code: "x" }, retries: 0, retry_delay_s: 0, timeout_s: null },
  ],
  edges: [],
  schedule: { cron: null, timezone: "UTC", enabled: false },
  memory_mb: null,
  retry_crashed: 0,
  max_concurrent_runs: null,
  notes: [],
};

const editor = () => useEditor.getState();

beforeEach(() => {
  editor().setNodeTypes(types);
  editor().load(doc);
});

describe("editor store", () => {
  it("loads a document and gives it back unchanged", () => {
    expect(editor().document()).toEqual(doc);
    expect(selectDirty(editor())).toBe(false);
  });

  it("adds a node with its schema's defaults and a fresh id", () => {
    const id = editor().addNode("python.map", { x: 5, y: 6 });
    expect(id).toBe("map_1");
    const added = editor().document().nodes.find((n) => n.id === "map_1")!;
    expect(added.config).toEqual({ code: "def node(record): return record" });
    expect(selectDirty(editor())).toBe(true);
  });

  it("refuses a wire into a source node and accepts a valid one", () => {
    expect(editor().connect("m", "src")).toBe(false);
    expect(editor().connect("src", "m")).toBe(true);
    expect(editor().document().edges).toEqual([{ id: "src->m", source: "src", target: "m" }]);
  });

  it("undoes and redoes a deletion of a node together with its wires", () => {
    editor().connect("src", "m");
    useEditor.setState({ nodes: editor().nodes.map((n) => (n.id === "m" ? { ...n, selected: true } : n)) });
    editor().deleteSelection();
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src"]);
    expect(editor().document().edges).toEqual([]);
    editor().undo();
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src", "m"]);
    expect(editor().document().edges).toHaveLength(1);
    editor().redo();
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src"]);
  });

  it("coalesces typing in one field into a single undo step", () => {
    for (const code of ["a", "ab", "abc"]) editor().updateNodeSpec("m", { config: { code } }, "config:code");
    editor().undo();
    expect(editor().document().nodes[1].config).toEqual({ code: "x" });
    expect(editor().canUndo).toBe(false);
  });

  it("sticky notes are part of the document: an unsaved change, undoable", () => {
    const noteId = editor().addNote({ x: 0, y: 0 });
    expect(editor().focusNoteId).toBe(noteId); // the new note takes the keyboard
    editor().updateNote(noteId, "todo");
    expect(editor().document().notes).toEqual([expect.objectContaining({ id: noteId, text: "todo", width: 200, height: 120 })]);
    expect(editor().document().nodes).toEqual(doc.nodes);
    expect(selectDirty(editor())).toBe(true);
    editor().undo(); // the text
    editor().undo(); // the note
    expect(editor().document()).toEqual(doc);
    // Back at the saved state: nothing unsaved (no "unsaved changes", no draft kept).
    expect(selectDirty(editor())).toBe(false);
    editor().redo();
    expect(editor().document().notes.map((n) => n.id)).toEqual([noteId]);
    expect(selectDirty(editor())).toBe(true);
  });

  it("loads the document's notes as canvas notes and gives them back", () => {
    const withNotes: Workflow = { ...doc, notes: [{ id: "note", text: "hi", position: { x: 5, y: 6 }, width: 300, height: 80 }] };
    editor().load(withNotes);
    expect(editor().nodes.find((n) => n.id === "note")).toMatchObject({ type: "note", data: { text: "hi" }, width: 300 });
    expect(editor().document()).toEqual(withNotes);
    expect(selectDirty(editor())).toBe(false);
  });

  it("a note whose id a node has gets a free id (one id space on the canvas)", () => {
    editor().load({ ...doc, notes: [{ id: "m", text: "clash", position: { x: 0, y: 0 }, width: null, height: null }] });
    expect(editor().document().notes.map((n) => n.id)).toEqual(["note_1"]);
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src", "m"]);
  });

  it("undo after a save is a change again; a change after undo never looks saved", () => {
    editor().updateNodeSpec("m", { label: "one" });
    editor().markSaved({ ...editor().document(), version: 5 });
    expect(selectDirty(editor())).toBe(false);
    editor().undo();
    expect(selectDirty(editor())).toBe(true);
    editor().updateNodeSpec("m", { label: "two" });
    expect(selectDirty(editor())).toBe(true);
  });

  it("notes added from elsewhere (an older editor's localStorage) are one undoable change", () => {
    editor().addNotes([{ id: "note_1", text: "old", position: { x: 1, y: 2 } }, { id: "src", text: "clash", position: { x: 0, y: 0 } }]);
    expect(editor().document().notes.map((n) => [n.id, n.text])).toEqual([["note_1", "old"], ["note_2", "clash"]]);
    expect(selectDirty(editor())).toBe(true);
    editor().undo();
    expect(editor().document().notes).toEqual([]);
  });

  it("applies live run events to per-node status", () => {
    editor().startLiveRun("r1");
    expect(editor().run!.nodes.m.status).toBe("pending");
    editor().applyRunEvent("node_started", { run_id: "r1", node_id: "m", attempt: 1, records_in: 3 });
    expect(editor().run!.nodes.m).toMatchObject({ status: "running", records_in: 3 });
    editor().applyRunEvent("node_finished", {
      run_id: "r1", node_id: "m", status: "completed", records_in: 3, records_out: 2, duration_s: 0.1,
      started_at: null, ended_at: null, error: null,
    });
    editor().applyRunEvent("node_started", { run_id: "other", node_id: "src" });
    expect(editor().run!.nodes.m).toMatchObject({ status: "completed", records_out: 2 });
    expect(editor().run!.nodes.src.status).toBe("pending");
    editor().applyRunEvent("run_finished", { run_id: "r1", status: "completed", error: null });
    expect(editor().run!.status).toBe("completed");
  });
});

describe("dropping a node on a wire", () => {
  it("wires it in between: A→B becomes A→new→B, one undo step", () => {
    editor().connect("src", "m");
    const id = editor().addNode("python.map", { x: 100, y: 0 }, { intoEdge: "src->m" })!;
    expect(editor().document().edges.map((e) => e.id).sort()).toEqual([`${id}->m`, `src->${id}`].sort());
    editor().undo();
    expect(editor().document().edges.map((e) => e.id)).toEqual(["src->m"]);
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src", "m"]);
  });
  it("a node that takes no input is placed, the wire kept", () => {
    editor().connect("src", "m");
    const id = editor().addNode("store.read", { x: 100, y: 0 }, { intoEdge: "src->m" })!;
    expect(editor().document().nodes.map((n) => n.id)).toContain(id);
    expect(editor().document().edges.map((e) => e.id)).toEqual(["src->m"]);
  });
});

describe("placing new and pasted nodes", () => {
  const rect = (id: string) => {
    const n = editor().nodes.find((node) => node.id === id)!;
    return { x: n.position.x, y: n.position.y, width: 200, height: 56 };
  };
  const overlapping = (a: ReturnType<typeof rect>, b: ReturnType<typeof rect>) =>
    a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

  it("puts a node asked for on top of another into free space", () => {
    const id = editor().addNode("python.map", { x: 10, y: 10 })!;
    for (const other of ["src", "m"]) expect(overlapping(rect(id), rect(other)), other).toBe(false);
  });

  it("continues from a node: placed right of it and wired from it, in one undo step", () => {
    const id = editor().addNode("python.map", { x: 0, y: 400 }, { connectFrom: "m" })!;
    expect(rect(id).x).toBeGreaterThan(rect("m").x + 200);
    expect(editor().document().edges).toEqual([{ id: `m->${id}`, source: "m", target: id }]);
    expect(editor().inspectedNodeId).toBe(id);
    editor().undo();
    expect(editor().document().nodes.map((n) => n.id)).toEqual(["src", "m"]);
    expect(editor().document().edges).toEqual([]);
  });

  it("does not wire into a node that takes no input", () => {
    const id = editor().addNode("store.read", { x: 0, y: 0 }, { connectFrom: "m" })!;
    expect(id).toBeTruthy();
    expect(editor().document().edges).toEqual([]);
  });

  it("pastes next to the originals without overlapping any node, and inspects the pasted node", () => {
    const original = editor().document().nodes.find((n) => n.id === "m")!;
    editor().pasteContent({ kind: "wirework/nodes", nodes: [original], edges: [] }, { x: 40, y: 40 });
    const pasted = editor().document().nodes.at(-1)!;
    expect(pasted.id).not.toBe("m");
    for (const other of ["src", "m"]) expect(overlapping(rect(pasted.id), rect(other)), other).toBe(false);
    expect(editor().inspectedNodeId).toBe(pasted.id);
  });
});

describe("in-place rename", () => {
  it("sets the label, clears it when the id is typed back, cancels on null, and undoes", () => {
    editor().startRename("m");
    expect(editor().renamingNodeId).toBe("m");
    editor().finishRename("  Clean text ");
    expect(editor().renamingNodeId).toBeNull();
    expect(editor().document().nodes.find((n) => n.id === "m")!.label).toBe("Clean text");
    editor().startRename("m");
    editor().finishRename(null);
    expect(editor().document().nodes.find((n) => n.id === "m")!.label).toBe("Clean text");
    editor().startRename("m");
    editor().finishRename("m");
    expect(editor().document().nodes.find((n) => n.id === "m")!.label).toBe("");
    editor().undo();
    expect(editor().document().nodes.find((n) => n.id === "m")!.label).toBe("Clean text");
  });
});
