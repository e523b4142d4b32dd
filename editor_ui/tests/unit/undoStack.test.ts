import { describe, expect, it } from "vitest";
import { UndoStack } from "../../src/graph/undoStack";

describe("UndoStack", () => {
  it("undoes and redoes in order", () => {
    const stack = new UndoStack<number>();
    let state = 0;
    for (const next of [1, 2, 3]) {
      stack.record(state);
      state = next;
    }
    state = stack.undo(state)!;
    expect(state).toBe(2);
    state = stack.undo(state)!;
    expect(state).toBe(1);
    state = stack.redo(state)!;
    expect(state).toBe(2);
    expect(stack.canRedo).toBe(true);
  });

  it("a new change after undo clears redo", () => {
    const stack = new UndoStack<string>();
    stack.record("a");
    const back = stack.undo("b");
    expect(back).toBe("a");
    stack.record("a");
    expect(stack.canRedo).toBe(false);
    expect(stack.redo("c")).toBeUndefined();
  });

  it("returns undefined with nothing to undo", () => {
    const stack = new UndoStack<number>();
    expect(stack.canUndo).toBe(false);
    expect(stack.undo(5)).toBeUndefined();
  });

  it("forgets the oldest states past its limit", () => {
    const stack = new UndoStack<number>(3);
    for (let i = 0; i < 5; i++) stack.record(i);
    expect(stack.undo(5)).toBe(4);
    expect(stack.undo(4)).toBe(3);
    expect(stack.undo(3)).toBe(2);
    expect(stack.undo(2)).toBeUndefined();
  });
});
