import { describe, expect, it } from "vitest";
import { defaultLabelForList } from "../../src/labeling/lookupLabel";
import { emptyQueueText } from "../../src/labeling/labelQueue";
import { describeTally, emptyTally, tallySaved } from "../../src/labeling/sessionTally";

const LABELS = ["rather positive", "neutral", "rather negative"];

describe("defaultLabelForList", () => {
  it("takes the label the list's name names, not the first label", () => {
    expect(defaultLabelForList("negative-terms", LABELS)).toBe("rather negative");
    expect(defaultLabelForList("positive-words", LABELS)).toBe("rather positive");
    expect(defaultLabelForList("neutral_terms", LABELS)).toBe("neutral");
  });
  it("a heuristic that already reads the list decides", () => {
    const heuristics = [{ kind: "lookup_list", config: { list: "bad-news", label: "rather negative" } }];
    expect(defaultLabelForList("bad-news", LABELS, heuristics)).toBe("rather negative");
  });
  it("no guess when the name names no label (the user picks)", () => {
    expect(defaultLabelForList("brands", LABELS)).toBe("");
    expect(defaultLabelForList("terms", LABELS)).toBe("");
  });
});

describe("session tally", () => {
  it("relabelling 10 already-labelled records reads 10 labelled · 10 saved", () => {
    let tally = emptyTally();
    for (let i = 0; i < 10; i++) tally = tallySaved(tally, `r${i}`);
    expect(describeTally(tally)).toBe("10 labelled this session · 10 saved");
  });
  it("one record labelled twice is one record, two saves", () => {
    expect(describeTally(tallySaved(tallySaved(emptyTally(), "a"), "a"))).toBe("1 labelled this session · 2 saved");
  });
});

describe("emptyQueueText", () => {
  it("says to add heuristics only when the task has none", () => {
    expect(emptyQueueText("suggested", 0)).toMatch(/Add heuristics/);
    expect(emptyQueueText("suggested", 4)).not.toMatch(/heuristics/i);
    expect(emptyQueueText("suggested", null)).not.toMatch(/heuristics/i);
    expect(emptyQueueText("all", 4)).toBe("Nothing left in this filter.");
  });
});
