/**
 * Which label a lookup list's heuristic proposes by default: the label of a heuristic
 * that already reads the list, else the label the list's name names ("negative-terms" →
 * "rather negative"), else none (the user picks; never silently the first label).
 */
const FILLER = new Set(["terms", "term", "words", "word", "list", "lookup", "rather", "very", "the", "of", "and"]);

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w && !FILLER.has(w));
}

export function defaultLabelForList(
  listName: string, labels: readonly string[],
  heuristics: readonly { kind: string; config: Record<string, unknown> }[] = [],
): string {
  const existing = heuristics.find((h) => h.kind === "lookup_list" && h.config.list === listName);
  if (existing && typeof existing.config.label === "string" && labels.includes(existing.config.label)) return existing.config.label;
  const named = new Set(words(listName));
  // The label sharing the most words with the name; a tie is no answer.
  const scored = labels.map((label) => ({ label, score: words(label).filter((w) => named.has(w)).length }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  if (!scored.length || (scored.length > 1 && scored[0].score === scored[1].score)) return "";
  return scored[0].label;
}
