import { describe, expect, it } from "vitest";
import { diffLines, diffStats } from "../../src/graph/lineDiff";
import { diffSummary, diffVersions, valueText } from "../../src/graph/versionDiff";
import type { NodeSpec, Workflow } from "../../src/api/types";

function spec(id: string, extra: Partial<NodeSpec> = {}): NodeSpec {
  return { id, type: "python.map", label: "", position: { x: 0, y: 0 }, config: { code: "x" }, retries: 0, retry_delay_s: 0, timeout_s: null, ...extra };
}

function doc(nodes: NodeSpec[], edges: [string, string][], extra: Partial<Workflow> = {}): Workflow {
  return {
    id: "w", name: "W", version: 1, description: "", nodes,
    edges: edges.map(([source, target]) => ({ id: `${source}->${target}`, source, target })),
    schedule: { cron: null, timezone: "UTC", enabled: false }, notes: [], ...extra,
  } as Workflow;
}

describe("diffVersions", () => {
  it("names nodes added, removed, changed per field, and only moved", () => {
    const before = doc([spec("a"), spec("b"), spec("c"), spec("gone")], [["a", "b"], ["b", "gone"]]);
    const after = doc(
      [spec("a"), spec("b", { config: { code: "y" }, label: "Bee", disabled: true }), spec("c", { position: { x: 50, y: 0 } }), spec("new")],
      [["a", "b"], ["b", "new"]],
    );
    const diff = diffVersions(before, after);
    const byId = Object.fromEntries(diff.nodes.map((n) => [n.id, n]));
    expect(byId.a.kind).toBe("same");
    expect(byId.b.kind).toBe("changed");
    expect(byId.b.changes.map((c) => c.field)).toEqual(["label", "disabled", "config.code"]);
    expect(byId.b.changes.find((c) => c.field === "config.code")).toEqual({ field: "config.code", before: "x", after: "y" });
    expect(byId.c.kind).toBe("moved");
    expect(byId.new.kind).toBe("added");
    expect(byId.gone.kind).toBe("removed");
    expect(diff.edgesAdded.map((e) => e.id)).toEqual(["b->new"]);
    expect(diff.edgesRemoved.map((e) => e.id)).toEqual(["b->gone"]);
    expect(diffSummary(diff)).toEqual({ added: 1, removed: 1, changed: 1, moved: 1, same: 1 });
  });

  it("treats a missing field as its default and ignores config key order", () => {
    const before = doc([{ ...spec("a", { config: { a: 1, b: [1, { c: 2 }] } }), disabled: undefined, pinned: undefined }], []);
    const after = doc([spec("a", { config: { b: [1, { c: 2 }], a: 1 }, disabled: false, pinned: null })], []);
    expect(diffVersions(before, after).nodes[0].kind).toBe("same");
  });

  it("reports pins and workflow-level settings", () => {
    const before = doc([spec("a")], [], { memory_mb: null });
    const after = doc([spec("a", { pinned: [{ id: "1" }] })], [], { memory_mb: 512, name: "Renamed" });
    const diff = diffVersions(before, after);
    expect(diff.nodes[0].changes).toEqual([{ field: "pinned", before: null, after: [{ id: "1" }] }]);
    expect(diff.workflow.map((c) => c.field)).toEqual(["name", "memory_mb"]);
  });

  it("shows strings as they are and other values as JSON", () => {
    expect(valueText("def node(r):\n    return r")).toBe("def node(r):\n    return r");
    expect(valueText({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(valueText(null)).toBe("");
  });
});

describe("diffLines", () => {
  it("pairs an edited line beside the line it replaced and keeps the rest aligned", () => {
    const rows = diffLines("def node(r):\n    x = 1\n    return r", "def node(r):\n    x = 2\n    return r\n# end");
    expect(rows.map((r) => r.kind)).toEqual(["same", "changed", "same", "added"]);
    expect(rows[1].left).toEqual({ number: 2, text: "    x = 1" });
    expect(rows[1].right).toEqual({ number: 2, text: "    x = 2" });
    expect(rows[3]).toEqual({ kind: "added", left: null, right: { number: 4, text: "# end" } });
    expect(diffStats(rows)).toEqual({ removed: 1, added: 2 });
  });

  it("handles empty sides and identical texts", () => {
    expect(diffLines("", "a\nb").map((r) => r.kind)).toEqual(["added", "added"]);
    expect(diffLines("a", "").map((r) => r.kind)).toEqual(["removed"]);
    expect(diffLines("a\nb", "a\nb").every((r) => r.kind === "same")).toBe(true);
  });

  it("finds a removed line in the middle (not everything after it as changed)", () => {
    const rows = diffLines("a\nb\nc\nd", "a\nc\nd");
    expect(rows.map((r) => r.kind)).toEqual(["same", "removed", "same", "same"]);
  });
});
