import { describe, expect, it } from "vitest";
import {
  appendSuggestions, back, current, emptyQueue, excludedIds, jumpTo, labelCurrent, labelledCount, matchesFilter,
  needsMore, REFILL_AHEAD, revertLabel, skipCurrent, textFieldsOf, type LabelQueue,
} from "../../src/labeling/labelQueue";
import { suggestionsPath } from "../../src/labeling/labelingApi";
import type { SuggestedRecord } from "../../src/labeling/types";

const LABELS = ["rather positive", "neutral", "rather negative"];

function rec(id: string, extra: Partial<SuggestedRecord> = {}): SuggestedRecord {
  return { id, data: { id, headline: `headline ${id}` }, label: null, labeled_by: null, votes: {},
    weak: { prediction: null, confidence: null }, reason: "no heuristic labels it", ...extra };
}

function queueOf(ids: string[], asked = ids.length): LabelQueue {
  return appendSuggestions(emptyQueue(), ids.map((id) => rec(id)), asked, "suggested");
}

describe("keyboard labeling flow", () => {
  it("labels with the n-th label and shows the next suggestion", () => {
    const step = labelCurrent(queueOf(["a", "b", "c"]), LABELS, 3)!;
    expect(step.recordId).toBe("a");
    expect(step.label).toBe("rather negative");
    expect(current(step.queue)?.id).toBe("b");
    expect(step.queue.items[0].label).toBe("rather negative");
  });
  it("ignores a number key beyond the task's labels and an empty queue", () => {
    expect(labelCurrent(queueOf(["a"]), LABELS, 4)).toBeNull();
    expect(labelCurrent(emptyQueue(), LABELS, 1)).toBeNull();
  });
  it("skips, goes back to the previous record with its label, and relabels it", () => {
    let q = labelCurrent(queueOf(["a", "b", "c"]), LABELS, 1)!.queue;
    q = skipCurrent(q);
    expect(current(q)?.id).toBe("c");
    q = back(back(q));
    expect(current(q)?.id).toBe("a");
    expect(current(q)?.label).toBe("rather positive");
    const relabel = labelCurrent(q, LABELS, 2)!;
    expect(relabel.recordId).toBe("a");
    expect(current(relabel.queue)?.id).toBe("b");
    expect(back(emptyQueue())).toEqual(emptyQueue());
  });
  it("counts only records labelled in this session", () => {
    let q = appendSuggestions(emptyQueue(), [rec("old", { label: "neutral" }), rec("new")], 2, "all");
    q = labelCurrent(labelCurrent(q, LABELS, 1)!.queue, LABELS, 2)!.queue;
    expect(labelledCount(q, new Set(["old"]))).toBe(1);
  });
  it("jumps to a record picked in the table", () => {
    expect(current(jumpTo(queueOf(["a", "b", "c"]), "c"))?.id).toBe("c");
    expect(jumpTo(queueOf(["a"]), "zzz").position).toBe(0);
  });
});

describe("next-record selection", () => {
  it("keeps the API's order and drops ids already queued or skipped", () => {
    let q = skipCurrent(queueOf(["a", "b"], 10));
    q = appendSuggestions(q, [rec("a"), rec("b"), rec("c")], 10, "suggested");
    expect(q.items.map((r) => r.id)).toEqual(["a", "b", "c"]);
    expect(excludedIds(q)).toEqual(["a", "b", "c", "a"]);
  });
  it("asks for more while fewer than REFILL_AHEAD remain, until the API runs dry", () => {
    const ids = Array.from({ length: REFILL_AHEAD + 2 }, (_, i) => `r${i}`);
    let q = queueOf(ids, 50);
    expect(q.exhausted).toBe(true); // fewer came back than were asked for
    expect(needsMore(q)).toBe(false);
    q = { ...q, exhausted: false };
    expect(needsMore(q)).toBe(false);
    q = skipCurrent(skipCurrent(skipCurrent(q)));
    expect(needsMore(q)).toBe(true);
  });
  it("builds the suggestions URL with every excluded id", () => {
    expect(suggestionsPath("news", "sentiment", { filter: "low_confidence", limit: 30, maxConfidence: 0.7, exclude: ["a b", "c"] }))
      .toBe("/api/labeling/projects/news/tasks/sentiment/suggestions?filter=low_confidence&limit=30&max_confidence=0.7&exclude=a%20b&exclude=c");
  });
});

describe("filters", () => {
  const votes = (...labels: string[]) => Object.fromEntries(labels.map((l, i) => [`h${i}`, { label: l, confidence: 1 }]));
  it("unlabeled and suggested hold records without a manual label", () => {
    expect(matchesFilter(rec("a"), "unlabeled")).toBe(true);
    expect(matchesFilter(rec("a", { label: "neutral" }), "unlabeled")).toBe(false);
    expect(matchesFilter(rec("a", { label: "neutral" }), "suggested")).toBe(false);
    expect(matchesFilter(rec("a", { label: "neutral" }), "all")).toBe(true);
  });
  it("low confidence needs a weak label below the threshold", () => {
    const weak = (confidence: number) => rec("a", { weak: { prediction: "neutral", confidence } });
    expect(matchesFilter(weak(0.5), "low_confidence", 0.8)).toBe(true);
    expect(matchesFilter(weak(0.9), "low_confidence", 0.8)).toBe(false);
    expect(matchesFilter(rec("a"), "low_confidence", 0.8)).toBe(false); // no weak label at all
  });
  it("disagreement needs votes for two different labels", () => {
    expect(matchesFilter(rec("a", { votes: votes("neutral", "rather negative") }), "disagreement")).toBe(true);
    expect(matchesFilter(rec("a", { votes: votes("neutral", "neutral") }), "disagreement")).toBe(false);
  });
  it("drops suggestions that no longer match when they arrive", () => {
    const q = appendSuggestions(emptyQueue(), [rec("a", { label: "neutral" }), rec("b")], 2, "unlabeled");
    expect(q.items.map((r) => r.id)).toEqual(["b"]);
  });
});

describe("text fields", () => {
  it("reads dotted fields and shows missing ones as empty", () => {
    expect(textFieldsOf({ a: "x", n: { t: "deep" }, k: 3 }, ["a", "n.t", "missing", "k"])).toEqual([
      { field: "a", text: "x" }, { field: "n.t", text: "deep" }, { field: "missing", text: "" }, { field: "k", text: "3" },
    ]);
  });
});

describe("a label the API did not store", () => {
  it("is reverted to what the record had, and no longer counted", () => {
    const step = labelCurrent(queueOf(["news/2026/a", "b"]), LABELS, 1)!;
    expect(labelledCount(step.queue, new Set())).toBe(1);
    const reverted = revertLabel(step.queue, "news/2026/a", { label: null, labeled_by: null });
    expect(reverted.items[0].label).toBeNull();
    expect(current(reverted)?.id).toBe("b");  // the view stays where it was
    expect(labelledCount(reverted, new Set())).toBe(0);
    expect(revertLabel(step.queue, "unknown", { label: null, labeled_by: null })).toBe(step.queue);
  });
});
