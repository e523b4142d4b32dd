import { describe, expect, it } from "vitest";
import { hrefFor, parseRoute } from "../../src/router";
import { slugify } from "../../src/pages/WorkflowsPage";

describe("hash routes", () => {
  it("round-trip every page", () => {
    for (const route of [
      { page: "workflows" as const },
      { page: "editor" as const, workflowId: "my-flow" },
      { page: "editor" as const, workflowId: "my-flow", runId: "3f2a-9c" },
      { page: "stores" as const, storeName: "news_items" },
      { page: "stores" as const },
      { page: "secrets" as const },
      { page: "runs" as const, workflowId: "hello" },
      { page: "run" as const, runId: "3f2a-9c" },
    ]) {
      const parsed = parseRoute(hrefFor(route));
      expect(parsed).toEqual({ ...route, ...(route.page === "stores" && !("storeName" in route) ? { storeName: undefined } : {}),
        ...(route.page === "runs" && !("workflowId" in route) ? { workflowId: undefined } : {}) });
    }
  });
  it("opens a run from #/runs/<run id> too, a workflow's runs from #/runs/<workflow id>", () => {
    expect(parseRoute("#/runs/f4747b09-95c5-4d59-8435-b4c1d9fe6ea3")).toEqual({ page: "run", runId: "f4747b09-95c5-4d59-8435-b4c1d9fe6ea3" });
    expect(parseRoute("#/runs/hello")).toEqual({ page: "runs", workflowId: "hello" });
    expect(parseRoute("#/workflows/hello/run/f4747b09-95c5-4d59-8435-b4c1d9fe6ea3"))
      .toEqual({ page: "editor", workflowId: "hello", runId: "f4747b09-95c5-4d59-8435-b4c1d9fe6ea3" });
  });
  it("falls back to the workflows list", () => {
    expect(parseRoute("")).toEqual({ page: "workflows" });
    expect(parseRoute("#/nonsense")).toEqual({ page: "workflows" });
  });
});

describe("slugify", () => {
  it("turns a name into a valid workflow id", () => {
    expect(slugify("Daily News Digest!")).toBe("daily-news-digest");
    expect(slugify("123 go")).toBe("go");
    expect(slugify("###")).toBe("workflow");
    expect(slugify("Daily News Digest!")).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
  });
});
