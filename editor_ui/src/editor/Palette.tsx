/** The node palette: node types grouped and searchable; drag one onto the canvas (or double-click). */
import { useMemo, useState } from "react";
import { groupNodeTypes } from "../graph/palette";
import { useEditor } from "./editorStore";

export const PALETTE_MIME = "application/x-wirework-node-type";

export function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const nodeTypes = useEditor((s) => s.nodeTypes);
  const [search, setSearch] = useState("");
  const groups = useMemo(() => groupNodeTypes(Object.values(nodeTypes), search), [nodeTypes, search]);
  return (
    <aside className="palette" data-testid="palette">
      <input
        type="search"
        placeholder="Search nodes…"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        aria-label="Search node types"
      />
      {groups.map(({ group, types }) => (
        <section key={group}>
          <h3>{group}</h3>
          {types.map((t) => (
            <div
              key={t.type}
              className="palette-item"
              draggable
              data-testid={`palette-${t.type}`}
              title={`${t.description}\n\nDrag onto the canvas, or double-click to add.`}
              onDragStart={(e) => {
                e.dataTransfer.setData(PALETTE_MIME, t.type);
                e.dataTransfer.effectAllowed = "move";
              }}
              onDoubleClick={() => onAdd(t.type)}
            >
              <strong>{t.title}</strong>
              <small>{t.type}</small>
            </div>
          ))}
        </section>
      ))}
      {groups.length === 0 && <p className="muted">No node type matches “{search}”.</p>}
    </aside>
  );
}
