/** Lookup lists of the project: create, add or remove terms (paste many at once), and turn a list into a heuristic. */
import { useEffect, useState } from "react";
import { describeError } from "../api/client";
import { labelingApi } from "./labelingApi";
import { defaultLabelForList } from "./lookupLabel";
import type { Heuristic, LabelingTask, LookupList } from "./types";

/** Terms from pasted text: one per line or comma-separated, trimmed, no empties. */
export function parseTerms(text: string): string[] {
  return text.split(/[\n,;\t]/).map((t) => t.trim()).filter(Boolean);
}

export function LookupListsEditor({ project, task, lists, heuristics = [], onChanged }: {
  project: string; task: LabelingTask; lists: LookupList[]; heuristics?: Heuristic[]; onChanged: () => void;
}) {
  const [selected, setSelected] = useState<string>(lists[0]?.name ?? "");
  const [newName, setNewName] = useState("");
  const [paste, setPaste] = useState("");
  const [label, setLabel] = useState("");
  const [heuristicName, setHeuristicName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const list = lists.find((l) => l.name === selected);
  useEffect(() => {
    if (!list && lists.length) setSelected(lists[0].name);
  }, [list, lists]);
  // Each list proposes its own label (never just the first one): see lookupLabel.ts.
  const listName = list?.name;
  useEffect(() => {
    if (listName) setLabel(defaultLabelForList(listName, task.labels, heuristics));
  }, [listName, task.labels, heuristics]);

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(null);
      onChanged();
    } catch (e) {
      setError(describeError(e));
    }
  };
  const setTerms = (terms: string[]) => act(() => labelingApi.setLookupList(project, selected, terms));

  return (
    <section className="card" data-testid="lookup-lists">
      <div className="card-title"><h2>Lookup lists</h2><span className="muted small">whole words, case-insensitive</span></div>
      <div className="row">
        <select value={selected} onChange={(e) => setSelected(e.target.value)} data-testid="lookup-select">
          {lists.length === 0 && <option value="">no lists yet</option>}
          {lists.map((l) => <option key={l.name} value={l.name}>{l.name} ({l.terms.length})</option>)}
        </select>
        <form className="row inline-form" onSubmit={(e) => {
          e.preventDefault();
          const name = newName.trim();
          void act(async () => { await labelingApi.setLookupList(project, name, []); setSelected(name); setNewName(""); });
        }}>
          <input value={newName} onChange={(e) => setNewName(e.target.value)} placeholder="new list name" pattern="[a-z][a-z0-9_\-]{0,62}" required data-testid="lookup-new-name" />
          <button type="submit" data-testid="lookup-create">New list</button>
        </form>
      </div>
      {list && (
        <>
          <div className="terms" data-testid="lookup-terms">
            {list.terms.map((term) => (
              <span key={term} className="term">{term}
                <button type="button" className="small" title={`remove “${term}”`} onClick={() => void setTerms(list.terms.filter((t) => t !== term))}>✕</button>
              </span>
            ))}
            {list.terms.length === 0 && <span className="muted small">no terms yet</span>}
          </div>
          <textarea rows={3} value={paste} onChange={(e) => setPaste(e.target.value)} placeholder="add terms: type or paste many, one per line or comma-separated"
                    style={{ width: "100%" }} data-testid="lookup-paste" />
          <div className="row">
            <button type="button" disabled={!parseTerms(paste).length} data-testid="lookup-add"
                    onClick={() => void setTerms([...list.terms, ...parseTerms(paste)]).then(() => setPaste(""))}>Add terms</button>
            <span className="spacer" />
            <span className="small">Heuristic: records with a term get</span>
            <select value={label} onChange={(e) => setLabel(e.target.value)} data-testid="lookup-label">
              {!label && <option value="">label…</option>}
              {task.labels.map((l) => <option key={l} value={l}>{l}</option>)}
            </select>
            <input value={heuristicName} onChange={(e) => setHeuristicName(e.target.value)} placeholder={`${list.name}-words`} data-testid="lookup-heuristic-name" />
            <button type="button" className="primary" data-testid="lookup-save-heuristic" disabled={!label}
                    onClick={() => void act(() => labelingApi.saveHeuristic(project, task.name, heuristicName.trim() || `${list.name}-words`, "lookup_list", { list: list.name, label }))}>
              Save heuristic</button>
            <button type="button" className="danger" onClick={() => void act(async () => { await labelingApi.deleteLookupList(project, list.name); setSelected(""); })}>Delete list</button>
          </div>
        </>
      )}
      {error && <p className="error" data-testid="lookup-error">{error}</p>}
    </section>
  );
}
