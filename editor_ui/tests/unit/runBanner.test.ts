import { describe, expect, it } from "vitest";
import { canPin, canPinStatus, versionNote } from "../../src/editor/runBanner";
import type { LiveRun } from "../../src/editor/editorStore";
import { cleanNodeSpec, cleanWorkflow } from "../../src/api/workflowDoc";
import type { Workflow } from "../../src/api/types";

const run = (status: LiveRun["status"], nodeStatus: string): LiveRun => ({
  runId: "r", status, error: null,
  nodes: { a: { node_id: "a", status: nodeStatus as never, started_at: null, ended_at: null, duration_s: null, records_in: 1, records_out: 1, error: null } },
});

describe("pinning a node's output", () => {
  it("needs a finished run in which the node produced an output", () => {
    expect(canPin(run("completed", "completed"), "a")).toBe(true);
    expect(canPin(run("failed", "reused"), "a")).toBe(true);
    expect(canPin(run("running", "completed"), "a")).toBe(false); // the run is still going
    expect(canPin(run("failed", "failed"), "a")).toBe(false);
    expect(canPin(run("completed", "completed"), "b")).toBe(false); // no such node in the run
    expect(canPin(null, "a")).toBe(false);
    expect(canPinStatus("completed", "not_run")).toBe(false);
  });
});

describe("the run banner's version note", () => {
  it("warns when the run ran another version than the canvas shows", () => {
    expect(versionNote(1, 2, false)).toContain("This run ran version 1; the canvas shows version 2");
    expect(versionNote(2, 2, true)).toBe("This run ran version 2; the canvas has unsaved changes since.");
    expect(versionNote(2, 2, false)).toBeNull();
    expect(versionNote(null, 2, false)).toBeNull();
  });
});

describe("issue 16's document fields", () => {
  it("keeps pins and disabled only when set, so an older server sees the same document", () => {
    expect(cleanNodeSpec({ id: "a", type: "python.map", pinned: [{ id: "1" }], disabled: true })).toMatchObject({ pinned: [{ id: "1" }], disabled: true });
    const plain = cleanNodeSpec({ id: "a", type: "python.map", pinned: null, disabled: false });
    expect("pinned" in plain || "disabled" in plain).toBe(false);
    const doc = { id: "w", version: 1, nodes: [], edges: [], pins_in_triggered_runs: true } as unknown as Workflow;
    expect(cleanWorkflow(doc).pins_in_triggered_runs).toBe(true);
    expect("pins_in_triggered_runs" in cleanWorkflow({ ...doc, pins_in_triggered_runs: false })).toBe(false);
  });
});
