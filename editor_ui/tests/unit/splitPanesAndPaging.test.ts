import { describe, expect, it } from "vitest";
import { equalSplit, parseSplit, resizeSplit } from "../../src/ui/splitPanes";
import { columnsOf, lastPageOffset, offsetForRecord, pageInfo, recordMatches, searchRecords } from "../../src/ui/recordPaging";

describe("resizeSplit", () => {
  it("moves width between the two panes beside the handle, never below the minimum", () => {
    const start = [0.3, 0.4, 0.3];
    const moved = resizeSplit(start, 0, 0.1);
    expect(moved[0]).toBeCloseTo(0.4);
    expect(moved[1]).toBeCloseTo(0.3);
    expect(moved[2]).toBe(0.3);
    const clamped = resizeSplit(start, 1, 0.5, 0.1);
    expect(clamped[1]).toBeCloseTo(0.6);
    expect(clamped[2]).toBeCloseTo(0.1);
    expect(resizeSplit(start, 2, 0.1)).toEqual(start); // no handle after the last pane
  });
  it("reads a stored split only when it fits", () => {
    expect(parseSplit("[0.2,0.5,0.3]", 3)).toEqual([0.2, 0.5, 0.3]);
    expect(parseSplit("[0.5,0.5]", 3)).toEqual(equalSplit(3));
    expect(parseSplit("[0.01,0.69,0.3]", 3)).toEqual(equalSplit(3));
    expect(parseSplit("not json", 3)).toEqual(equalSplit(3));
  });
});

describe("record paging", () => {
  it("finds the page that holds a record", () => {
    expect(offsetForRecord(900, 50, 1000)).toBe(850);
    expect(offsetForRecord(901, 50, 1000)).toBe(900);
    expect(offsetForRecord(5000, 50, 1000)).toBe(950); // clamped to the last record
    expect(offsetForRecord(0, 50, 1000)).toBe(0);
    expect(lastPageOffset(50, 1000)).toBe(950);
    expect(lastPageOffset(50, 0)).toBe(0);
  });
  it("describes a page", () => {
    expect(pageInfo(850, 50, 50, 1000)).toEqual({ first: 851, last: 900, page: 18, pageCount: 20, hasPrevious: true, hasNext: true });
    expect(pageInfo(950, 50, 50, 1000).hasNext).toBe(false);
    expect(pageInfo(0, 0, 50, 0)).toMatchObject({ first: 0, last: 0, pageCount: 1, hasPrevious: false, hasNext: false });
  });
  it("lists every key in order of first appearance", () => {
    expect(columnsOf([{ id: 1, a: 2 }, { b: 3, id: 4 }])).toEqual(["id", "a", "b"]);
  });
  it("searches values, nested ones as JSON, ignoring case, with record numbers", () => {
    expect(recordMatches({ title: "Hello World" }, "world")).toBe(true);
    expect(recordMatches({ meta: { tag: "Rust" } }, "rust")).toBe(true);
    expect(recordMatches({ n: 42 }, "43")).toBe(false);
    expect(searchRecords([{ n: 1 }, { n: 12 }, { n: 3 }], "1", 851).map((r) => r.number)).toEqual([851, 852]);
  });
});
