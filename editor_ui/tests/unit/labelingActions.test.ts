import { describe, expect, it } from "vitest";
import { createLabelingActions } from "../../src/labeling/labelingActions";
import { confidenceHistogram, distributionRows } from "../../src/labeling/chartData";
import { parseTerms } from "../../src/labeling/LookupListsEditor";
import { specialWidgets } from "../../src/forms/schemaForm";

const key = (k: string, shift = false) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: shift, altKey: false });

describe("labeling actions", () => {
  const calls: string[] = [];
  const actions = createLabelingActions(["pos", "neu", "neg"], {
    label: (n) => void calls.push(`label ${n}`), skip: () => void calls.push("skip"), back: () => void calls.push("back"),
    toggleTable: () => void calls.push("table"), openHelp: () => void calls.push("help"),
  });
  it("maps number keys to the task's labels, S to skip and Backspace to back", () => {
    for (const k of ["1", "3", "s", "Backspace", "t", "?"]) void actions.forKey(key(k, k === "?"), false)?.run();
    expect(calls).toEqual(["label 1", "label 3", "skip", "back", "table", "help"]);
  });
  it("has no action for a number beyond the labels, and none while typing", () => {
    expect(actions.forKey(key("4"), false)).toBeUndefined();
    expect(actions.forKey(key("1"), true)).toBeUndefined();
  });
  it("names each action in the labeling group", () => {
    expect(actions.list().map((a) => a.id)).toEqual([
      "labeling.label1", "labeling.label2", "labeling.label3", "labeling.skip", "labeling.back", "labeling.toggleTable", "labeling.help",
    ]);
    expect(actions.get("labeling.label2").title).toContain("neu");
  });
});

describe("weak supervision charts", () => {
  const results = {
    a: { prediction: "pos", confidence: 0.95, votes: {} },
    b: { prediction: "pos", confidence: 1.0, votes: {} },
    c: { prediction: "neg", confidence: 0.31, votes: {} },
    d: { prediction: null, confidence: null, votes: {} },
  };
  it("bins confidences, 1.0 into the last bin, without unlabelled records", () => {
    const bins = confidenceHistogram(results, 10);
    expect(bins.map((b) => b.records)).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 2]);
    expect(bins[3].bin).toBe("0.3–0.4");
  });
  it("lists every label in task order plus the undecided records", () => {
    const report = { distribution: { pos: 2, neg: 1, neu: 0 }, results, settings: { c: 7, k: 3, default_precision: 0.8 },
      agreement: { manual_labels: 0, compared: 0, agreed: 0, rate: null } };
    expect(distributionRows(report, ["pos", "neu", "neg"])).toEqual([
      { label: "pos", records: 2 }, { label: "neu", records: 0 }, { label: "neg", records: 1 }, { label: "no label", records: 1 },
    ]);
  });
});

describe("lookup terms and form pickers", () => {
  it("parses pasted terms by line, comma, semicolon or tab", () => {
    expect(parseTerms("beats\n raises , soars;\t\nall-time high")).toEqual(["beats", "raises", "soars", "all-time high"]);
  });
  it("maps the enrich node's formats to labeling pickers", () => {
    const schema = { properties: { project: { type: "string", format: "labeling-project" },
      tasks: { type: "array", items: { type: "string" }, format: "labeling-tasks" }, batch_size: { type: "integer" } } };
    expect(specialWidgets(schema)).toEqual({ project: "labelingProject", tasks: "labelingTasks" });
  });
});
