import { describe, expect, it } from "vitest";
import { connectionProblem, inputModeOf, wouldCreateCycle } from "../../src/graph/rules";
import type { InputMode } from "../../src/api/types";

const chain = [
  { source: "a", target: "b" },
  { source: "b", target: "c" },
];
// `read` is like store.read: a source whose input wire only orders it after another node.
const inputModes: Record<string, InputMode> = { src: "none", read: "order", a: "records", b: "records", c: "records", out: "records" };
const inputsOf = (id: string) => inputModes[id];

describe("wouldCreateCycle", () => {
  it("refuses a wire back to an ancestor", () => {
    expect(wouldCreateCycle(chain, "c", "a")).toBe(true);
  });
  it("refuses a self-loop", () => {
    expect(wouldCreateCycle([], "a", "a")).toBe(true);
  });
  it("accepts a wire that only adds a parallel path", () => {
    expect(wouldCreateCycle(chain, "a", "c")).toBe(false);
  });
  it("finds cycles through long paths", () => {
    const long = Array.from({ length: 500 }, (_, i) => ({ source: `n${i}`, target: `n${i + 1}` }));
    expect(wouldCreateCycle(long, "n500", "n0")).toBe(true);
    expect(wouldCreateCycle(long, "n0", "n500")).toBe(false);
  });
});

describe("connectionProblem", () => {
  it("refuses any input into a node whose inputs are none", () => {
    expect(connectionProblem([], "a", "src", inputsOf)).toMatch(/takes no input/);
  });
  it("accepts a wire into a source that takes an input for ordering (store.read after a write)", () => {
    expect(connectionProblem(chain, "c", "read", inputsOf)).toBeNull();
  });
  it("refuses a cycle with a reason", () => {
    expect(connectionProblem(chain, "c", "a", inputsOf)).toMatch(/cycle/);
  });
  it("refuses a duplicate wire", () => {
    expect(connectionProblem(chain, "a", "b", inputsOf)).toMatch(/already wired/);
  });
  it("refuses wires to unknown nodes", () => {
    expect(connectionProblem([], "a", "ghost", inputsOf)).toMatch(/unknown/);
  });
  it("accepts a source feeding a transform feeding a sink", () => {
    expect(connectionProblem([], "src", "a", inputsOf)).toBeNull();
    expect(connectionProblem(chain, "c", "out", inputsOf)).toBeNull();
  });
});

describe("inputModeOf", () => {
  it("uses the node type's inputs, whatever its category", () => {
    expect(inputModeOf({ category: "source", inputs: "order" })).toBe("order");
    expect(inputModeOf({ category: "transform", inputs: "none" })).toBe("none");
  });
  it("falls back to the category for node types without inputs", () => {
    expect(inputModeOf({ category: "source" })).toBe("none");
    expect(inputModeOf({ category: "sink" })).toBe("records");
    expect(inputModeOf(undefined)).toBe("records");
  });
});
