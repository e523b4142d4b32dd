/**
 * A side panel the user can resize (drag its inner edge, or arrow keys on it) and collapse
 * to a thin strip; its width and state are remembered per browser (panelSizes.ts).
 */
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from "react";
import { clampWidth, loadPanelSize, savePanelSize, type PanelLimits, type PanelSize } from "./panelSizes";

interface Props extends PanelLimits {
  id: string;
  /** Which side of the window the panel sits on; the handle is on the other edge. */
  side: "left" | "right";
  title: string;
  className?: string;
  children: ReactNode;
}

const KEY_STEP = 24;

export function ResizablePanel({ id, side, title, className, children, ...limits }: Props) {
  const [size, setSize] = useState<PanelSize>(() => loadPanelSize(id, limits));
  const drag = useRef<{ startX: number; startWidth: number } | null>(null);

  useEffect(() => savePanelSize(id, size), [id, size]);

  const resize = (width: number) => setSize((s) => ({ ...s, width: clampWidth(width, limits, window.innerWidth) }));
  const toggle = () => setSize((s) => ({ ...s, collapsed: !s.collapsed }));
  // Dragging towards the canvas widens the panel: right for a left panel, left for a right one.
  const direction = side === "left" ? 1 : -1;

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { startX: event.clientX, startWidth: size.width };
    document.body.classList.add("resizing-panel");
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (!drag.current) return;
    resize(drag.current.startWidth + direction * (event.clientX - drag.current.startX));
  };
  const onPointerUp = () => {
    drag.current = null;
    document.body.classList.remove("resizing-panel");
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "ArrowLeft") resize(size.width - direction * KEY_STEP);
    else if (event.key === "ArrowRight") resize(size.width + direction * KEY_STEP);
    else if (event.key === "Enter") toggle();
    else return;
    event.preventDefault();
  };

  if (size.collapsed) {
    return (
      <div className={`panel-collapsed side-${side}`} data-testid={`panel-${id}`} data-collapsed="true">
        <button type="button" className="panel-expand" onClick={toggle} title={`Show ${title}`}
                aria-label={`Show ${title}`} data-testid={`panel-${id}-toggle`}>
          {side === "left" ? "»" : "«"}
        </button>
        <span className="panel-collapsed-title">{title}</span>
      </div>
    );
  }
  return (
    <div className={`resizable-panel side-${side}`} style={{ width: size.width }} data-testid={`panel-${id}`} data-collapsed="false">
      <aside className={className}>{children}</aside>
      <button type="button" className="panel-collapse" onClick={toggle} title={`Hide ${title}`}
              aria-label={`Hide ${title}`} data-testid={`panel-${id}-toggle`}>
        {side === "left" ? "«" : "»"}
      </button>
      <div
        className="panel-resizer"
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${title}`}
        aria-valuenow={size.width}
        aria-valuemin={limits.min}
        aria-valuemax={limits.max}
        tabIndex={0}
        data-testid={`panel-${id}-resizer`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onKeyDown={onKeyDown}
        onDoubleClick={() => resize(limits.defaultWidth)}
      />
    </div>
  );
}
