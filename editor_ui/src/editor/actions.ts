/**
 * Editor actions as named commands (after Node-RED): one registry of
 * `{id, title, shortcut, run}`. Menus, keyboard shortcuts, the help dialog and tests
 * all go through it, so a shortcut can never do something a menu item does not.
 */

export interface EditorAction {
  id: string;
  title: string;
  /** e.g. "mod+shift+z", "delete", "?" — `mod` is Ctrl (or ⌘ on macOS). */
  shortcut?: string;
  /** Extra shortcuts for the same action (e.g. backspace for delete). */
  altShortcuts?: string[];
  /** Shortcuts that also fire while typing in an input (e.g. save). */
  global?: boolean;
  run: () => void | Promise<void>;
  /** False when the action cannot apply now (menus leave it out); absent means always. */
  available?: () => boolean;
}

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** True when the key event is exactly this shortcut (modifiers must match too). */
export function matchesShortcut(event: KeyLike, shortcut: string): boolean {
  const parts = shortcut.toLowerCase().split("+");
  const key = parts[parts.length - 1];
  const wantMod = parts.includes("mod");
  const wantShift = parts.includes("shift");
  const wantAlt = parts.includes("alt");
  const mod = event.ctrlKey || event.metaKey;
  const eventKey = event.key.toLowerCase();
  // "?" is typed with shift on most layouts: accept it whatever shift says.
  if (key === "?") return eventKey === "?" && !mod && !event.altKey;
  return eventKey === key && mod === wantMod && event.shiftKey === wantShift && event.altKey === wantAlt;
}

export function formatShortcut(shortcut: string, mac = false): string {
  return shortcut
    .split("+")
    .map((part) => {
      if (part === "mod") return mac ? "⌘" : "Ctrl";
      if (part === "shift") return mac ? "⇧" : "Shift";
      if (part === "alt") return mac ? "⌥" : "Alt";
      return part.length === 1 ? part.toUpperCase() : part[0].toUpperCase() + part.slice(1);
    })
    .join(mac ? "" : "+");
}

export class ActionRegistry {
  private readonly actions = new Map<string, EditorAction>();

  constructor(actions: EditorAction[] = []) {
    for (const action of actions) this.register(action);
  }

  register(action: EditorAction): void {
    if (this.actions.has(action.id)) throw new Error(`action "${action.id}" is registered twice`);
    this.actions.set(action.id, action);
  }

  get(id: string): EditorAction {
    const action = this.actions.get(id);
    if (!action) throw new Error(`unknown action "${id}"`);
    return action;
  }

  run(id: string): void | Promise<void> {
    return this.get(id).run();
  }

  list(): EditorAction[] {
    return [...this.actions.values()];
  }

  /** The action a key event triggers; `typing` is true when focus is in a text field. */
  forKey(event: KeyLike, typing: boolean): EditorAction | undefined {
    for (const action of this.actions.values()) {
      if (typing && !action.global) continue;
      const shortcuts = [action.shortcut, ...(action.altShortcuts ?? [])].filter(Boolean) as string[];
      if (shortcuts.some((s) => matchesShortcut(event, s))) return action;
    }
    return undefined;
  }
}
