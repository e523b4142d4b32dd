import { describe, expect, it } from "vitest";
import { ActionRegistry, formatShortcut, matchesShortcut } from "../../src/editor/actions";

const key = (k: string, mods: Partial<{ ctrl: boolean; shift: boolean; meta: boolean; alt: boolean }> = {}) => ({
  key: k, ctrlKey: !!mods.ctrl, shiftKey: !!mods.shift, metaKey: !!mods.meta, altKey: !!mods.alt,
});

describe("shortcuts", () => {
  it("matches mod as Ctrl or Cmd and requires exact modifiers", () => {
    expect(matchesShortcut(key("z", { ctrl: true }), "mod+z")).toBe(true);
    expect(matchesShortcut(key("z", { meta: true }), "mod+z")).toBe(true);
    expect(matchesShortcut(key("Z", { ctrl: true, shift: true }), "mod+z")).toBe(false);
    expect(matchesShortcut(key("Z", { ctrl: true, shift: true }), "mod+shift+z")).toBe(true);
    expect(matchesShortcut(key("z"), "mod+z")).toBe(false);
  });
  it("matches ? whether or not shift is reported", () => {
    expect(matchesShortcut(key("?", { shift: true }), "?")).toBe(true);
  });
  it("formats for people", () => {
    expect(formatShortcut("mod+shift+z")).toBe("Ctrl+Shift+Z");
    expect(formatShortcut("delete")).toBe("Delete");
  });
});

describe("ActionRegistry", () => {
  it("runs the action a key names, skipping non-global actions while typing", () => {
    const ran: string[] = [];
    const registry = new ActionRegistry([
      { id: "save", title: "Save", shortcut: "mod+s", global: true, run: () => void ran.push("save") },
      { id: "delete", title: "Delete", shortcut: "delete", altShortcuts: ["backspace"], run: () => void ran.push("delete") },
    ]);
    registry.forKey(key("s", { ctrl: true }), true)?.run();
    expect(registry.forKey(key("Backspace"), true)).toBeUndefined();
    registry.forKey(key("Backspace"), false)?.run();
    registry.run("save");
    expect(ran).toEqual(["save", "delete", "save"]);
  });
  it("refuses duplicate and unknown ids", () => {
    const registry = new ActionRegistry([{ id: "a", title: "A", run: () => {} }]);
    expect(() => registry.register({ id: "a", title: "A", run: () => {} })).toThrow(/twice/);
    expect(() => registry.run("b")).toThrow(/unknown action/);
  });
});
