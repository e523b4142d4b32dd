/**
 * Copy/paste of nodes as JSON text, so a selection can travel between tabs and
 * workflows through the system clipboard. Pasted nodes get fresh ids; wires are kept
 * only when both ends were copied.
 */
import type { EdgeSpec, NodeSpec } from "../api/types";
import { idStemForType, uniqueNodeId } from "./nodeIds";

export const CLIPBOARD_KIND = "wirework/nodes";

export interface ClipboardContent {
  kind: typeof CLIPBOARD_KIND;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
}

export function copySelection(nodes: readonly NodeSpec[], edges: readonly EdgeSpec[], selectedIds: ReadonlySet<string>): ClipboardContent {
  const copiedNodes = nodes.filter((n) => selectedIds.has(n.id)).map((n) => structuredClone(n));
  const copiedEdges = edges.filter((e) => selectedIds.has(e.source) && selectedIds.has(e.target)).map((e) => ({ ...e }));
  return { kind: CLIPBOARD_KIND, nodes: copiedNodes, edges: copiedEdges };
}

export function clipboardToText(content: ClipboardContent): string {
  return JSON.stringify(content, null, 2);
}

/** Parse clipboard text; null when it is not wirework nodes (e.g. plain text). */
export function parseClipboardText(text: string): ClipboardContent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object") return null;
  const candidate = parsed as Partial<ClipboardContent>;
  if (candidate.kind !== CLIPBOARD_KIND || !Array.isArray(candidate.nodes)) return null;
  const nodes = candidate.nodes.filter(
    (n): n is NodeSpec => !!n && typeof n === "object" && typeof n.id === "string" && typeof n.type === "string",
  );
  const edges = (Array.isArray(candidate.edges) ? candidate.edges : []).filter(
    (e): e is EdgeSpec => !!e && typeof e.source === "string" && typeof e.target === "string",
  );
  return { kind: CLIPBOARD_KIND, nodes, edges };
}

/**
 * Nodes and edges to add for a paste into a workflow whose node ids are `existingIds`:
 * ids are renamed to fresh ones and positions shifted by `offset`.
 */
export function preparePaste(
  content: ClipboardContent,
  existingIds: Iterable<string>,
  offset: { x: number; y: number },
): { nodes: NodeSpec[]; edges: EdgeSpec[] } {
  const taken = new Set(existingIds);
  const renamed = new Map<string, string>();
  const nodes = content.nodes.map((node) => {
    const id = uniqueNodeId(idStemForType(node.type), taken);
    renamed.set(node.id, id);
    return {
      ...structuredClone(node),
      id,
      label: node.label ?? "",
      config: structuredClone(node.config ?? {}),
      retries: node.retries ?? 0,
      timeout_s: node.timeout_s ?? null,
      position: { x: (node.position?.x ?? 0) + offset.x, y: (node.position?.y ?? 0) + offset.y },
    };
  });
  const edges = content.edges
    .filter((e) => renamed.has(e.source) && renamed.has(e.target))
    .map((e) => {
      const source = renamed.get(e.source)!;
      const target = renamed.get(e.target)!;
      return { id: `${source}->${target}`, source, target };
    });
  return { nodes, edges };
}
