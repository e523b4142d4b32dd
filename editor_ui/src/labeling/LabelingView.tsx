/**
 * Label records one at a time (or pick them from a table): number keys label, S skips,
 * Backspace goes back, and the next record is the API's next suggestion. Each record
 * shows its text fields, its heuristics' votes and the weak-supervision result.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { describeError } from "../api/client";
import { HelpDialog } from "../editor/dialogs";
import { useKeyboardActions } from "../editor/useKeyboardActions";
import { labelingApi } from "./labelingApi";
import { createLabelingActions, labelActionId } from "./labelingActions";
import {
  appendSuggestions, back, current, DEFAULT_MAX_CONFIDENCE, emptyQueue, excludedIds, FILTERS, jumpTo, labelCurrent,
  emptyQueueText, needsMore, revertLabel, skipCurrent, textFieldsOf, type LabelQueue,
} from "./labelQueue";
import { describeTally, emptyTally, tallySaved, type SessionTally } from "./sessionTally";
import type { Filter, LabelingTask, SuggestedRecord } from "./types";
import { percent } from "./chartData";

const PAGE_SIZE = 30;
const NO_SERVED_ELSEWHERE = new Set<string>();

export function LabelingView({ project, task }: { project: string; task: LabelingTask }) {
  const [filter, setFilter] = useState<Filter>("suggested");
  const [maxConfidence, setMaxConfidence] = useState(DEFAULT_MAX_CONFIDENCE);
  const [queue, setQueue] = useState<LabelQueue>(emptyQueue);
  const queueRef = useRef(queue);
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [mode, setMode] = useState<"record" | "table">("record");
  const [helpOpen, setHelpOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tally, setTally] = useState<SessionTally>(emptyTally);
  /** How many heuristics the task has (null: not known yet): what the empty queue says depends on it. */
  const [heuristicCount, setHeuristicCount] = useState<number | null>(null);
  const generation = useRef(0);

  useEffect(() => {
    let alive = true;
    labelingApi.heuristics(project, task.name).then((h) => alive && setHeuristicCount(h.length), () => undefined);
    return () => {
      alive = false;
    };
  }, [project, task.name]);

  const update = useCallback((next: LabelQueue) => {
    queueRef.current = next;
    setQueue(next);
  }, []);

  const fetchMore = useCallback(async (from: LabelQueue, gen: number) => {
    setLoading(true);
    try {
      const page = await labelingApi.suggestions(project, task.name, { filter, limit: PAGE_SIZE, maxConfidence, exclude: excludedIds(from) });
      if (gen !== generation.current) return;
      setTotal(page.total);
      update(appendSuggestions(queueRef.current, page.records, PAGE_SIZE, filter, maxConfidence));
      setError(null);
    } catch (e) {
      if (gen === generation.current) {
        setError(describeError(e));
        update({ ...queueRef.current, exhausted: true });
      }
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [project, task.name, filter, maxConfidence, update]);

  // A new filter starts a new queue.
  useEffect(() => {
    generation.current += 1;
    const fresh = emptyQueue();
    update(fresh);
    void fetchMore(fresh, generation.current);
  }, [fetchMore, update]);

  // Keep a few suggestions ahead of the record on screen.
  useEffect(() => {
    if (!loading && queue.items.length > 0 && needsMore(queue)) void fetchMore(queue, generation.current);
  }, [queue, loading, fetchMore]);

  const actions = useMemo(() => createLabelingActions(task.labels, {
    label: (n) => {
      const before = current(queueRef.current);
      const result = labelCurrent(queueRef.current, task.labels, n);
      if (!result || !before) return;
      update(result.queue);
      labelingApi.setLabel(project, task.name, result.recordId, result.label).then(
        () => setTally((t) => tallySaved(t, result.recordId)),
        (e) => {
          // A label the API refused is not shown (nor counted "labelled this session") as if it were stored.
          update(revertLabel(queueRef.current, result.recordId, before));
          setError(`record "${result.recordId}" was not labelled: ${describeError(e)}`);
        },
      );
    },
    skip: () => update(skipCurrent(queueRef.current)),
    back: () => update(back(queueRef.current)),
    toggleTable: () => setMode((m) => (m === "record" ? "table" : "record")),
    openHelp: () => setHelpOpen(true),
  }), [task.labels, task.name, project, update]);
  useKeyboardActions(actions, NO_SERVED_ELSEWHERE, true);

  const record = current(queue);

  return (
    <div className="labeling-view" data-testid="labeling-view">
      <div className="filter-bar">
        <div className="segmented" role="group" aria-label="Filter">
          {FILTERS.map((f) => (
            <button key={f.id} type="button" className={f.id === filter ? "active" : ""} onClick={() => setFilter(f.id)}
                    data-testid={`filter-${f.id}`}>{f.title}</button>
          ))}
        </div>
        {filter === "low_confidence" && (
          <label className="inline small">below
            <input type="number" min={0} max={1} step={0.05} value={maxConfidence} style={{ width: 70 }}
                   onChange={(e) => setMaxConfidence(Math.min(1, Math.max(0, Number(e.target.value))))} />
          </label>
        )}
        <span className="spacer" />
        <span className="muted small" data-testid="session-count">{describeTally(tally)}</span>
        <span className="muted small">{total ?? "…"} in this filter</span>
        <button type="button" onClick={() => void actions.run("labeling.toggleTable")} data-testid="toggle-table">
          {mode === "record" ? "Table" : "One record"} <kbd>T</kbd>
        </button>
        <button type="button" onClick={() => void actions.run("labeling.help")} title="Keyboard shortcuts">?</button>
      </div>
      {error && <p className="error" data-testid="labeling-error">{error}</p>}
      {mode === "record" ? (
        record ? (
          <RecordCard record={record} task={task} position={queue.position} onLabel={(n) => void actions.run(labelActionId(n))}
                      onSkip={() => void actions.run("labeling.skip")} onBack={() => void actions.run("labeling.back")} canGoBack={queue.position > 0} />
        ) : (
          <div className="card empty-queue" data-testid="queue-empty">
            {loading ? "Finding the next records to label…" : emptyQueueText(filter, heuristicCount)}
            {queue.position > 0 && <div><button type="button" onClick={() => void actions.run("labeling.back")}>Back <kbd>Backspace</kbd></button></div>}
          </div>
        )
      ) : (
        <QueueTable queue={queue} task={task} onPick={(id) => { update(jumpTo(queueRef.current, id)); setMode("record"); }} />
      )}
      {helpOpen && <HelpDialog actions={actions} onClose={() => setHelpOpen(false)}
                              note="Labels are saved as you press a key; the next record is the next suggestion of the chosen filter. Shortcuts are off while typing in a field." />}
    </div>
  );
}

function RecordCard({ record, task, position, onLabel, onSkip, onBack, canGoBack }: {
  record: SuggestedRecord; task: LabelingTask; position: number;
  onLabel: (n: number) => void; onSkip: () => void; onBack: () => void; canGoBack: boolean;
}) {
  const texts = textFieldsOf(record.data, task.text_fields);
  const otherFields = Object.keys(record.data).filter((k) => k !== "id" && !task.text_fields.includes(k));
  const votes = Object.entries(record.votes);
  return (
    <div className="record-layout">
      <article className="card record-card" data-testid="record-card" data-record-id={record.id}>
        <header className="record-meta">
          <span className="muted small">#{position + 1} · <code>{record.id}</code></span>
          <span className="reason" data-testid="record-reason">{record.reason}</span>
        </header>
        {texts.map(({ field, text }) => (
          <div key={field} className="text-field">
            <div className="text-field-name">{field}</div>
            <div className="text-field-value" data-testid={`record-text-${field}`}>{text || <span className="muted">(empty)</span>}</div>
          </div>
        ))}
        {otherFields.length > 0 && (
          <details className="other-fields">
            <summary className="muted small">{otherFields.length} other field(s)</summary>
            <pre>{JSON.stringify(Object.fromEntries(otherFields.map((k) => [k, record.data[k]])), null, 2)}</pre>
          </details>
        )}
        <div className="label-buttons">
          {task.labels.map((label, i) => (
            <button key={label} type="button" className={record.label === label ? "label-button chosen" : "label-button"}
                    onClick={() => onLabel(i + 1)} data-testid={`label-button-${i + 1}`}>
              {i < 9 && <kbd>{i + 1}</kbd>} {label}
            </button>
          ))}
        </div>
        <footer className="record-actions">
          <button type="button" onClick={onBack} disabled={!canGoBack}>← Back <kbd>Backspace</kbd></button>
          <button type="button" onClick={onSkip}>Skip <kbd>S</kbd></button>
          {record.label && <span className="muted small" data-testid="record-manual-label">manual label: <b>{record.label}</b>{record.labeled_by ? ` (${record.labeled_by})` : ""}</span>}
        </footer>
      </article>
      <aside className="card record-side">
        <h3>Weak supervision</h3>
        <div data-testid="record-weak">
          {record.weak.prediction ? (
            <>
              <div className="weak-label">{record.weak.prediction}</div>
              <div className="confidence-bar"><div style={{ width: percent(record.weak.confidence) }} /></div>
              <div className="muted small">confidence {percent(record.weak.confidence, 1)}</div>
            </>
          ) : <div className="muted">no weak label</div>}
        </div>
        <h3>Heuristic votes</h3>
        {votes.length === 0 ? <div className="muted">no heuristic voted</div> : (
          <table className="votes" data-testid="record-votes">
            <tbody>
              {votes.map(([name, vote]) => (
                <tr key={name}><td>{name}</td><td><span className="label-chip">{vote.label}</span></td>
                  <td className="muted small">{vote.confidence < 1 ? percent(vote.confidence) : ""}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </aside>
    </div>
  );
}

function QueueTable({ queue, task, onPick }: { queue: LabelQueue; task: LabelingTask; onPick: (id: string) => void }) {
  return (
    <div className="card table-card">
      <table className="list queue-table" data-testid="queue-table">
        <thead><tr><th>#</th><th>{task.text_fields.join(" / ")}</th><th>Manual label</th><th>Weak label</th><th>Confidence</th><th>Votes</th><th>Why</th></tr></thead>
        <tbody>
          {queue.items.map((r, i) => (
            <tr key={r.id} data-record-id={r.id} className={i === queue.position ? "current" : ""} onClick={() => onPick(r.id)}>
              <td className="muted">{i + 1}</td>
              <td>{textFieldsOf(r.data, task.text_fields).map((t) => t.text).join(" — ")}</td>
              <td>{r.label ? <span className="label-chip">{r.label}</span> : ""}</td>
              <td>{r.weak.prediction ?? <span className="muted">–</span>}</td>
              <td>{percent(r.weak.confidence)}</td>
              <td>{Object.keys(r.votes).length}</td>
              <td className="muted small">{r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
