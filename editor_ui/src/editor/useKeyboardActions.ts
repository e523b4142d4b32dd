/** Keyboard shortcuts → named actions (one keydown listener for the whole editor). */
import { useEffect } from "react";
import type { ActionRegistry } from "./actions";

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}

/** Enter on a button, link or disclosure activates it: it is not the editor's shortcut there. */
function activatesControl(event: KeyboardEvent): boolean {
  const el = event.target as HTMLElement | null;
  return event.key === "Enter" && !!el && (el.tagName === "BUTTON" || el.tagName === "A" || el.tagName === "SUMMARY" || el.getAttribute("role") === "separator");
}

export function useKeyboardActions(actions: ActionRegistry, servedElsewhere: Set<string>, enabled: boolean): void {
  useEffect(() => {
    if (!enabled) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (document.querySelector(".modal-backdrop") || activatesControl(event)) return;
      const action = actions.forKey(event, isTyping(event.target));
      if (!action || servedElsewhere.has(action.id)) return;
      event.preventDefault();
      void action.run();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [actions, servedElsewhere, enabled]);
}
