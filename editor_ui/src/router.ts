/** Hash routes (`#/workflows/hello`), so the API can serve the build as static files at `/`. */
import { useEffect, useState } from "react";

export type Route =
  | { page: "workflows" }
  | { page: "editor"; workflowId: string; runId?: string }
  | { page: "stores"; storeName?: string }
  | { page: "secrets" }
  | { page: "runs"; workflowId?: string }
  | { page: "run"; runId: string }
  | { page: "labeling"; project?: string; tab?: LabelingTab };

export type LabelingTab = "overview" | "label" | "heuristics" | "weak-supervision";
const LABELING_TABS: readonly string[] = ["overview", "label", "heuristics", "weak-supervision"];

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "workflows" && parts[1]) {
    // `#/workflows/<id>/run/<run>`: the editor opened at a run (its results on the canvas, under a banner).
    return parts[2] === "run" && parts[3] ? { page: "editor", workflowId: parts[1], runId: parts[3] } : { page: "editor", workflowId: parts[1] };
  }
  if (parts[0] === "stores") return { page: "stores", storeName: parts[1] };
  if (parts[0] === "secrets") return { page: "secrets" };
  // `#/runs/<run id>` opens that run too (run ids are UUIDs; a workflow id never has that shape
  // in practice), so a link written either way works; the app itself links `#/run/<id>`.
  if (parts[0] === "runs" && parts[1] && RUN_ID.test(parts[1])) return { page: "run", runId: parts[1] };
  if (parts[0] === "runs") return { page: "runs", workflowId: parts[1] };
  if (parts[0] === "run" && parts[1]) return { page: "run", runId: parts[1] };
  if (parts[0] === "labeling") {
    const tab = LABELING_TABS.includes(parts[2]) ? (parts[2] as LabelingTab) : undefined;
    return { page: "labeling", project: parts[1], tab: parts[1] ? tab ?? "overview" : undefined };
  }
  return { page: "workflows" };
}

export function hrefFor(route: Route): string {
  switch (route.page) {
    case "editor":
      return `#/workflows/${encodeURIComponent(route.workflowId)}${route.runId ? `/run/${encodeURIComponent(route.runId)}` : ""}`;
    case "stores":
      return route.storeName ? `#/stores/${encodeURIComponent(route.storeName)}` : "#/stores";
    case "secrets":
      return "#/secrets";
    case "runs":
      return route.workflowId ? `#/runs/${encodeURIComponent(route.workflowId)}` : "#/runs";
    case "run":
      return `#/run/${encodeURIComponent(route.runId)}`;
    case "labeling":
      if (!route.project) return "#/labeling";
      return `#/labeling/${encodeURIComponent(route.project)}/${route.tab ?? "overview"}`;
    default:
      return "#/";
  }
}

export function navigate(route: Route): void {
  window.location.hash = hrefFor(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
