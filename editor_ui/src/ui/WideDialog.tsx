/**
 * A dialog that takes most of the window, with a full-screen toggle (the node detail view and
 * the versions diff). Escape or the backdrop closes it. Its backdrop is a `.modal-backdrop`
 * like every dialog's, so the editor's keyboard shortcuts stay off while it is open.
 */
import { useEffect, useState, type ReactNode } from "react";
import "./wideDialog.css";

interface Props {
  title: ReactNode;
  /** Extra controls in the title bar, left of the full-screen and close buttons. */
  actions?: ReactNode;
  onClose: () => void;
  testId?: string;
  children: ReactNode;
}

export function WideDialog({ title, actions, onClose, testId, children }: Props) {
  const [fullScreen, setFullScreen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Escape inside a text field or the code editor leaves the field alone first.
      const el = document.activeElement as HTMLElement | null;
      const typing = !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable);
      if (e.key === "Escape" && !typing) onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`wide-dialog${fullScreen ? " full-screen" : ""}`} role="dialog" data-testid={testId}
           data-full-screen={fullScreen}>
        <div className="wide-dialog-bar">
          <h2>{title}</h2>
          <span className="spacer" />
          {actions}
          <button type="button" onClick={() => setFullScreen(!fullScreen)} data-testid="dialog-full-screen"
                  title={fullScreen ? "Leave full screen" : "Full screen"}>{fullScreen ? "Exit full screen" : "Full screen"}</button>
          <button type="button" onClick={onClose} aria-label="Close" data-testid="dialog-close">✕</button>
        </div>
        <div className="wide-dialog-body">{children}</div>
      </div>
    </div>
  );
}
