import { describe, expect, it } from "vitest";
import { clipboardToText, copySelection, parseClipboardText, preparePaste } from "../../src/graph/clipboard";
import type { NodeSpec } from "../../src/api/types";
import { NODE_ID_PATTERN } from "../../src/graph/nodeIds";

const node = (id: string, type = "python.map", x = 0): NodeSpec => ({
  id, type, label: id.toUpperCase(), position: { x, y: 10 }, config: { code: `# ${id}` }, retries: 1, retry_delay_s: 0, timeout_s: 5,
});
const nodes = [node("a"), node("b", "python.aggregate", 100), node("c")];
const edges = [
  { id: "e1", source: "a", target: "b" },
  { id: "e2", source: "b", target: "c" },
];

describe("clipboard JSON", () => {
  it("copies selected nodes and only the wires between them", () => {
    const content = copySelection(nodes, edges, new Set(["a", "b"]));
    expect(content.nodes.map((n) => n.id)).toEqual(["a", "b"]);
    expect(content.edges).toEqual([{ id: "e1", source: "a", target: "b" }]);
  });

  it("round-trips through text", () => {
    const content = copySelection(nodes, edges, new Set(["a", "b"]));
    expect(parseClipboardText(clipboardToText(content))).toEqual(content);
  });

  it("rejects text that is not wirework nodes", () => {
    expect(parseClipboardText("hello")).toBeNull();
    expect(parseClipboardText('{"nodes": []}')).toBeNull();
  });

  it("pastes with fresh valid ids, rewired edges, shifted positions and configs kept", () => {
    const content = copySelection(nodes, edges, new Set(["a", "b"]));
    const pasted = preparePaste(content, ["a", "b", "c", "map_1"], { x: 40, y: 40 });
    const ids = pasted.nodes.map((n) => n.id);
    expect(ids).toEqual(["map_2", "aggregate_1"]);
    ids.forEach((id) => expect(id).toMatch(NODE_ID_PATTERN));
    expect(pasted.edges).toEqual([{ id: "map_2->aggregate_1", source: "map_2", target: "aggregate_1" }]);
    expect(pasted.nodes[1].position).toEqual({ x: 140, y: 50 });
    expect(pasted.nodes[0].config).toEqual({ code: "# a" });
    expect(pasted.nodes[0].retries).toBe(1);
  });

  it("a pasted node does not share its config object with the copy", () => {
    const content = copySelection(nodes, edges, new Set(["a"]));
    const pasted = preparePaste(content, [], { x: 0, y: 0 });
    (pasted.nodes[0].config as Record<string, unknown>).code = "changed";
    expect(content.nodes[0].config.code).toBe("# a");
  });
});
