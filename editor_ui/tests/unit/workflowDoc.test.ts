import { describe, expect, it } from "vitest";
import { cleanWorkflow } from "../../src/api/workflowDoc";
import type { Workflow } from "../../src/api/types";

describe("cleanWorkflow", () => {
  it("keeps only the model's fields (the server refuses extra keys such as `problems`)", () => {
    const fromApi = {
      id: "w", name: "W", version: 3, description: "d", problems: [{ code: "x", message: "y" }],
      nodes: [{ id: "a", type: "python.map", config: { code: "x" }, extra: 1 }],
      edges: [{ source: "a", target: "b", selected: true }],
      schedule: { cron: "0 * * * *", timezone: "UTC", enabled: true }, memory_mb: 900, retry_crashed: 2, max_concurrent_runs: 3,
    } as unknown as Workflow;
    expect(cleanWorkflow(fromApi)).toEqual({
      id: "w", name: "W", version: 3, description: "d",
      nodes: [{ id: "a", type: "python.map", label: "", position: { x: 0, y: 0 }, config: { code: "x" }, retries: 0, retry_delay_s: 0, timeout_s: null }],
      edges: [{ id: "a->b", source: "a", target: "b" }],
      schedule: { cron: "0 * * * *", timezone: "UTC", enabled: true }, memory_mb: 900, retry_crashed: 2, max_concurrent_runs: 3, notes: [],
    });
  });

  it("keeps the sticky notes, model fields only (a document from before notes has none)", () => {
    const fromApi = {
      id: "w", version: 1, nodes: [], edges: [],
      notes: [{ id: "note", text: "hi", position: { x: 1, y: 2 }, width: 240, selected: true }],
    } as unknown as Workflow;
    expect(cleanWorkflow(fromApi).notes).toEqual([{ id: "note", text: "hi", position: { x: 1, y: 2 }, width: 240, height: null }]);
    expect(cleanWorkflow({ id: "w", version: 1, nodes: [], edges: [] } as unknown as Workflow).notes).toEqual([]);
  });
});
