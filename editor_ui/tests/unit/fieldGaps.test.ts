import { describe, expect, it } from "vitest";
import { fieldGapsText } from "../../src/labeling/fieldGaps";

describe("text-field gaps of the sync status", () => {
  it("names each field the records lack, with its counts", () => {
    expect(fieldGapsText([
      { field: "headline", missing: 3, empty: 1 }, { field: "title", missing: 0, empty: 0 }, { field: "body", missing: 0, empty: 2 },
    ])).toBe("headline: 3 missing, 1 blank; body: 2 blank");
  });
  it("is empty when every record has every field", () => {
    expect(fieldGapsText([{ field: "headline", missing: 0, empty: 0 }])).toBe("");
    expect(fieldGapsText([])).toBe("");
  });
});
