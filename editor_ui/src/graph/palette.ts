/** The palette's grouping of node types (Sources / Transforms / Enrichment / Outputs) and search. */
import type { NodeTypeInfo } from "../api/types";

export const PALETTE_GROUPS = ["Sources", "Transforms", "Enrichment", "Outputs"] as const;
export type PaletteGroup = (typeof PALETTE_GROUPS)[number];

export function paletteGroupOf(nodeType: Pick<NodeTypeInfo, "type" | "category">): PaletteGroup {
  const family = nodeType.type.split(".")[0];
  if (family === "labeling") return "Enrichment";
  if (family === "slack" || family === "webhook" || nodeType.category === "sink") return "Outputs";
  if (nodeType.category === "source") return "Sources";
  return "Transforms";
}

function matches(nodeType: NodeTypeInfo, words: string[]): boolean {
  const haystack = `${nodeType.type} ${nodeType.title} ${nodeType.description}`.toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** Groups in palette order, each sorted by title, filtered by every word of `search`. */
export function groupNodeTypes(types: readonly NodeTypeInfo[], search = ""): { group: PaletteGroup; types: NodeTypeInfo[] }[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  return PALETTE_GROUPS.map((group) => ({
    group,
    types: types
      .filter((t) => paletteGroupOf(t) === group && matches(t, words))
      .sort((a, b) => a.title.localeCompare(b.title)),
  })).filter((g) => g.types.length > 0);
}
