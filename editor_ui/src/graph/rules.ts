/**
 * Wiring rules: which connections the canvas accepts while the user drags.
 * The server validates the whole graph again; these checks exist so that an invalid
 * wire is refused at the moment it is drawn, with the reason shown.
 */
import type { InputMode, NodeTypeInfo } from "../api/types";

/** A node type's input mode, from `inputs` or, for servers that do not send it, its category. */
export function inputModeOf(nodeType: Pick<NodeTypeInfo, "category"> & { inputs?: InputMode } | undefined): InputMode {
  if (nodeType?.inputs) return nodeType.inputs;
  return nodeType?.category === "source" ? "none" : "records";
}

export interface Wire {
  source: string;
  target: string;
}

/** True when adding `source → target` would close a cycle (including a self-loop). */
export function wouldCreateCycle(edges: readonly Wire[], source: string, target: string): boolean {
  if (source === target) return true;
  const outgoing = new Map<string, string[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.source);
    if (list) list.push(edge.target);
    else outgoing.set(edge.source, [edge.target]);
  }
  // A cycle appears iff `source` is already reachable from `target`.
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length) {
    const current = stack.pop()!;
    for (const next of outgoing.get(current) ?? []) {
      if (next === source) return true;
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

/**
 * Why the connection `source → target` is not allowed, or null when it is.
 * `inputsOf` maps a node id to its node type's input mode (undefined for unknown ids):
 * only "none" refuses a wire, so a source such as store.read ("order") may still be
 * wired after another node to run after it.
 */
export function connectionProblem(
  edges: readonly Wire[],
  source: string | null | undefined,
  target: string | null | undefined,
  inputsOf: (nodeId: string) => InputMode | undefined,
): string | null {
  if (!source || !target) return "a wire needs both ends";
  if (source === target) return "a node cannot feed itself";
  if (inputsOf(source) === undefined || inputsOf(target) === undefined) return "unknown node";
  if (inputsOf(target) === "none") return "this node takes no input";
  if (edges.some((e) => e.source === source && e.target === target)) return "these nodes are already wired";
  if (wouldCreateCycle(edges, source, target)) return "this wire would make a cycle";
  return null;
}
