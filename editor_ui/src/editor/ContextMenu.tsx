/** The right-click menu of the canvas: a list of named actions, run through the same registry as shortcuts. */
import { useEffect } from "react";
import { formatShortcut, type ActionRegistry } from "./actions";

export interface ContextMenuState {
  x: number;
  y: number;
  actionIds: string[];
}

export function ContextMenu({ menu, actions, onClose }: { menu: ContextMenuState; actions: ActionRegistry; onClose: () => void }) {
  useEffect(() => {
    const close = () => onClose();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("pointerdown", close);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("pointerdown", close);
      window.removeEventListener("keydown", onKey);
    };
  }, [onClose]);
  return (
    <ul className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }} data-testid="context-menu"
        onPointerDown={(e) => e.stopPropagation()}>
      {menu.actionIds.filter((id) => actions.get(id).available?.() ?? true).map((id) => {
        const action = actions.get(id);
        return (
          <li key={id} role="menuitem" data-action={id} onClick={() => { onClose(); void action.run(); }}>
            <span>{action.title}</span>
            {action.shortcut && <kbd>{formatShortcut(action.shortcut)}</kbd>}
          </li>
        );
      })}
    </ul>
  );
}
