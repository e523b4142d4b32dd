import { describe, expect, it } from "vitest";
import { hrefFor, parseRoute } from "../../src/router";

describe("labeling routes", () => {
  it("round-trip the project list and each tab of a project", () => {
    expect(parseRoute(hrefFor({ page: "labeling" }))).toEqual({ page: "labeling", project: undefined, tab: undefined });
    for (const tab of ["overview", "label", "heuristics", "weak-supervision"] as const) {
      expect(parseRoute(hrefFor({ page: "labeling", project: "news", tab }))).toEqual({ page: "labeling", project: "news", tab });
    }
  });
  it("opens a project's overview for an unknown tab", () => {
    expect(parseRoute("#/labeling/news/nonsense")).toEqual({ page: "labeling", project: "news", tab: "overview" });
  });
});
