/**
 * The labeling view's named actions: the same `ActionRegistry` (and keyboard hook and
 * help dialog) as the flow editor, as a "labeling.*" group. Number keys label, S skips,
 * Backspace goes back; buttons, keys, the `?` dialog and e2e tests run the same actions.
 */
import { ActionRegistry, type EditorAction } from "../editor/actions";

export interface LabelingHooks {
  label(n: number): void;
  skip(): void;
  back(): void;
  toggleTable(): void;
  openHelp(): void;
}

export const MAX_NUMBERED_LABELS = 9;

export function labelActionId(n: number): string {
  return `labeling.label${n}`;
}

export function createLabelingActions(labels: string[], hooks: LabelingHooks): ActionRegistry {
  const numbered: EditorAction[] = labels.slice(0, MAX_NUMBERED_LABELS).map((label, i) => ({
    id: labelActionId(i + 1), title: `Label as “${label}” and show the next record`, shortcut: String(i + 1),
    run: () => hooks.label(i + 1),
  }));
  return new ActionRegistry([
    ...numbered,
    { id: "labeling.skip", title: "Skip this record", shortcut: "s", run: () => hooks.skip() },
    { id: "labeling.back", title: "Back to the previous record", shortcut: "backspace", run: () => hooks.back() },
    { id: "labeling.toggleTable", title: "Switch between one record and the table", shortcut: "t", run: () => hooks.toggleTable() },
    { id: "labeling.help", title: "Keyboard shortcuts", shortcut: "?", run: () => hooks.openHelp() },
  ]);
}
