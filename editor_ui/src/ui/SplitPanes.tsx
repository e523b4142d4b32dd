/**
 * Panes side by side with a drag handle between each two (arrow keys on a focused handle
 * move it too; double-click makes all equal); their widths are remembered per browser.
 */
import { Fragment, useEffect, useRef, useState, type ReactNode } from "react";
import { equalSplit, parseSplit, resizeSplit } from "./splitPanes";

const KEY_STEP = 0.02;

export function SplitPanes({ id, panes }: { id: string; panes: { key: string; content: ReactNode }[] }) {
  const storageKey = `wirework.split.${id}`;
  const [fractions, setFractions] = useState(() => parseSplit(localStorage.getItem(storageKey), panes.length));
  const row = useRef<HTMLDivElement>(null);
  const drag = useRef<{ index: number; startX: number; start: number[] } | null>(null);

  useEffect(() => localStorage.setItem(storageKey, JSON.stringify(fractions)), [storageKey, fractions]);

  const width = () => row.current?.getBoundingClientRect().width || 1;
  return (
    <div className="split-panes" ref={row}>
      {panes.map((pane, i) => (
        <Fragment key={pane.key}>
          <div className="split-pane" style={{ flexBasis: `${fractions[i] * 100}%` }} data-testid={`pane-${pane.key}`}>{pane.content}</div>
          {i < panes.length - 1 && (
            <div
              className="split-handle" role="separator" aria-orientation="vertical" tabIndex={0}
              aria-label={`Resize ${pane.key} and ${panes[i + 1].key}`} data-testid={`split-handle-${i}`}
              onPointerDown={(e) => {
                e.currentTarget.setPointerCapture(e.pointerId);
                drag.current = { index: i, startX: e.clientX, start: fractions };
                document.body.classList.add("resizing-panel");
              }}
              onPointerMove={(e) => {
                if (!drag.current) return;
                setFractions(resizeSplit(drag.current.start, drag.current.index, (e.clientX - drag.current.startX) / width()));
              }}
              onPointerUp={() => { drag.current = null; document.body.classList.remove("resizing-panel"); }}
              onPointerCancel={() => { drag.current = null; document.body.classList.remove("resizing-panel"); }}
              onKeyDown={(e) => {
                if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
                e.preventDefault();
                e.stopPropagation();
                setFractions((f) => resizeSplit(f, i, e.key === "ArrowLeft" ? -KEY_STEP : KEY_STEP));
              }}
              onDoubleClick={() => setFractions(equalSplit(panes.length))}
            />
          )}
        </Fragment>
      ))}
    </div>
  );
}
