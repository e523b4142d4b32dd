/** Node ids: readable, unique in the workflow, and matching the model's NODE_ID_PATTERN. */

export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** `python.map` → `map`, `slack.post` → `slack_post`: the stem new node ids start with. */
export function idStemForType(type: string): string {
  const [family, kind] = type.split(".");
  const stem = family === "python" && kind ? kind : type.replace(/[^A-Za-z0-9]+/g, "_");
  const cleaned = stem.replace(/^[^A-Za-z0-9]+/, "") || "node";
  return cleaned.slice(0, 80);
}

/** The first `${stem}_${n}` (n ≥ 1) not in `taken`; adds it to `taken`. */
export function uniqueNodeId(stem: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const candidate = `${stem}_${n}`;
    if (!taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}
