import { describe, expect, it } from "vitest";
import { clampWidth, parsePanelSize } from "../../src/ui/panelSizes";

const limits = { defaultWidth: 440, min: 300, max: 1100 };

describe("panel sizes", () => {
  it("uses the default width, expanded, when nothing or something damaged is stored", () => {
    expect(parsePanelSize(null, limits)).toEqual({ width: 440, collapsed: false });
    expect(parsePanelSize("{not json", limits)).toEqual({ width: 440, collapsed: false });
    expect(parsePanelSize('"a string"', limits)).toEqual({ width: 440, collapsed: false });
  });

  it("reads a stored width and collapsed state", () => {
    expect(parsePanelSize('{"width": 612, "collapsed": true}', limits)).toEqual({ width: 612, collapsed: true });
  });

  it("keeps widths within the panel's limits and 60% of the window", () => {
    expect(clampWidth(100, limits)).toBe(300);
    expect(clampWidth(5000, limits)).toBe(1100);
    expect(clampWidth(900, limits, 1280)).toBe(768);
    // A width saved on a wide screen is clamped when read on a narrow one.
    expect(parsePanelSize('{"width": 1000}', limits, 1000).width).toBe(600);
    // The minimum wins over 60% of a tiny window.
    expect(clampWidth(400, limits, 320)).toBe(300);
  });
});
