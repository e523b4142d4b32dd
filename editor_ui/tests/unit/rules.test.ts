import { describe, expect, it } from "vitest";
import { connectionProblem, wouldCreateCycle } from "../../src/graph/rules";
import type { Category } from "../../src/api/types";

const chain = [
  { source: "a", target: "b" },
  { source: "b", target: "c" },
];
const categories: Record<string, Category> = { src: "source", a: "transform", b: "transform", c: "transform", out: "sink" };
const categoryOf = (id: string) => categories[id];

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
  it("refuses any input into a source node", () => {
    expect(connectionProblem([], "a", "src", categoryOf)).toMatch(/source node takes no input/);
  });
  it("refuses a cycle with a reason", () => {
    expect(connectionProblem(chain, "c", "a", categoryOf)).toMatch(/cycle/);
  });
  it("refuses a duplicate wire", () => {
    expect(connectionProblem(chain, "a", "b", categoryOf)).toMatch(/already wired/);
  });
  it("refuses wires to unknown nodes", () => {
    expect(connectionProblem([], "a", "ghost", categoryOf)).toMatch(/unknown/);
  });
  it("accepts a source feeding a transform feeding a sink", () => {
    expect(connectionProblem([], "src", "a", categoryOf)).toBeNull();
    expect(connectionProblem(chain, "c", "out", categoryOf)).toBeNull();
  });
});
