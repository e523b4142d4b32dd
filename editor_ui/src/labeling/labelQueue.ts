/**
 * The keyboard labeling flow as pure state: a queue of suggested records (in the API's
 * label-next order), the position of the record on screen, and what labeling, skipping
 * and going back do to them. The view keeps one `LabelQueue` and asks `needsMore` when to
 * fetch the next page of suggestions (excluding the ids it already holds).
 */
import type { Filter, SuggestedRecord } from "./types";

export interface LabelQueue {
  items: SuggestedRecord[];
  /** Index of the record on screen; `items.length` means "past the end" (nothing left). */
  position: number;
  /** Ids skipped in this session: never suggested again until the filter changes. */
  skipped: string[];
  /** True once the API returned fewer suggestions than asked: no more to fetch. */
  exhausted: boolean;
}

export const FILTERS: { id: Filter; title: string }[] = [
  { id: "suggested", title: "Suggested next" },
  { id: "unlabeled", title: "Unlabeled" },
  { id: "low_confidence", title: "Weak label, low confidence" },
  { id: "disagreement", title: "Heuristics disagree" },
  { id: "all", title: "All records" },
];

export const DEFAULT_MAX_CONFIDENCE = 0.8;
/** Fetch more suggestions when fewer than this many are left ahead of the current record. */
export const REFILL_AHEAD = 5;

export function emptyQueue(): LabelQueue {
  return { items: [], position: 0, skipped: [], exhausted: false };
}

export function current(queue: LabelQueue): SuggestedRecord | undefined {
  return queue.items[queue.position];
}

/** Whether a record belongs in a filter (the same rules as stores/labeling/suggestions.py). */
export function matchesFilter(record: SuggestedRecord, filter: Filter, maxConfidence = DEFAULT_MAX_CONFIDENCE): boolean {
  if (filter === "all") return true;
  if (record.label !== null) return false;
  if (filter === "suggested" || filter === "unlabeled") return true;
  if (filter === "low_confidence") {
    return record.weak.prediction !== null && (record.weak.confidence ?? 0) < maxConfidence;
  }
  return new Set(Object.values(record.votes).map((v) => v.label)).size > 1;
}

/**
 * Append a page of suggestions: ids already queued or skipped are dropped, and so are
 * records that no longer match the filter (labelled in another tab since the query).
 */
export function appendSuggestions(queue: LabelQueue, page: SuggestedRecord[], asked: number, filter: Filter,
                                  maxConfidence = DEFAULT_MAX_CONFIDENCE): LabelQueue {
  const known = new Set([...queue.items.map((r) => r.id), ...queue.skipped]);
  const fresh = page.filter((r) => !known.has(r.id) && matchesFilter(r, filter, maxConfidence));
  return { ...queue, items: [...queue.items, ...fresh], exhausted: page.length < asked };
}

/** Ids the next suggestions request should leave out. */
export function excludedIds(queue: LabelQueue): string[] {
  return [...queue.items.map((r) => r.id), ...queue.skipped];
}

export function needsMore(queue: LabelQueue): boolean {
  return !queue.exhausted && queue.items.length - queue.position < REFILL_AHEAD;
}

/** Label the record on screen with the n-th label (1-based, as the number keys) and move on. */
export function labelCurrent(queue: LabelQueue, labels: string[], n: number): { queue: LabelQueue; recordId: string; label: string } | null {
  const record = current(queue);
  const label = labels[n - 1];
  if (!record || label === undefined) return null;
  const items = queue.items.slice();
  items[queue.position] = { ...record, label, labeled_by: "editor" };
  return { queue: { ...queue, items, position: queue.position + 1 }, recordId: record.id, label };
}

/** Undo a label the API did not store (its save failed): the record shows what it had before. */
export function revertLabel(queue: LabelQueue, recordId: string, previous: Pick<SuggestedRecord, "label" | "labeled_by">): LabelQueue {
  const index = queue.items.findIndex((r) => r.id === recordId);
  if (index < 0) return queue;
  const items = queue.items.slice();
  items[index] = { ...items[index], label: previous.label, labeled_by: previous.labeled_by };
  return { ...queue, items };
}

/** Skip the record on screen: move on, and do not suggest it again in this session. */
export function skipCurrent(queue: LabelQueue): LabelQueue {
  const record = current(queue);
  if (!record) return queue;
  return { ...queue, position: queue.position + 1, skipped: [...queue.skipped, record.id] };
}

/** Back to the previous record (its label, if any, stays until changed). */
export function back(queue: LabelQueue): LabelQueue {
  return queue.position > 0 ? { ...queue, position: queue.position - 1 } : queue;
}

/** Show a given record (from the table view). */
export function jumpTo(queue: LabelQueue, recordId: string): LabelQueue {
  const index = queue.items.findIndex((r) => r.id === recordId);
  return index < 0 ? queue : { ...queue, position: index };
}

/** How many records were given a label during this session. */
export function labelledCount(queue: LabelQueue, initiallyLabelled: ReadonlySet<string>): number {
  return queue.items.filter((r) => r.label !== null && !initiallyLabelled.has(r.id)).length;
}

/** The text fields of a task from a record (dotted names read nested fields), for display. */
export function textFieldsOf(data: Record<string, unknown>, fields: string[]): { field: string; text: string }[] {
  return fields.map((field) => {
    let value: unknown = data;
    for (const key of field.split(".")) value = value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
    return { field, text: value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value) };
  });
}

/** What an empty queue says: "add heuristics" only when the task has none (null: not known yet). */
export function emptyQueueText(filter: Filter, heuristicCount: number | null): string {
  const other = filter === "all" ? "" : " Pick another filter, e.g. All records.";
  if (heuristicCount === 0) return `Nothing left in this filter.${other} Add heuristics to get suggestions and weak labels.`;
  return `Nothing left in this filter.${other}`;
}
