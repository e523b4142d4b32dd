/**
 * Two saved versions of a workflow side by side (opened from the Versions tab): which nodes
 * were added, removed, changed or only moved, the wires added and removed, workflow-level
 * settings, and per changed field a side-by-side line diff (code and config). Any two versions
 * can be picked; the comparison itself is versionDiff.ts / lineDiff.ts.
 */
import { useEffect, useMemo, useState } from "react";
import { api, describeError } from "../api/client";
import type { NodeSpec, VersionInfo, Workflow } from "../api/types";
import { diffLines, diffStats } from "../graph/lineDiff";
import { diffSummary, diffVersions, valueText, type FieldChange, type NodeDiff } from "../graph/versionDiff";
import { WideDialog } from "../ui/WideDialog";
import { Skeleton } from "../ui/Skeleton";
import { formatTime } from "../ui/format";
import "./versionDiff.css";

interface Props {
  workflowId: string;
  versions: VersionInfo[];
  before: number;
  after: number;
  onClose: () => void;
}

export function VersionDiffView({ workflowId, versions, before: initialBefore, after: initialAfter, onClose }: Props) {
  const [before, setBefore] = useState(initialBefore);
  const [after, setAfter] = useState(initialAfter);
  const [docs, setDocs] = useState<{ before: Workflow; after: Workflow } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [showSame, setShowSame] = useState(false);

  useEffect(() => {
    let alive = true;
    setDocs(null);
    setError(null);
    Promise.all([api.getVersion(workflowId, before), api.getVersion(workflowId, after)]).then(
      ([b, a]) => alive && setDocs({ before: b, after: a }),
      (e) => alive && setError(`Could not read versions ${before} and ${after} of ${workflowId}: ${describeError(e)}`),
    );
    return () => {
      alive = false;
    };
  }, [workflowId, before, after]);

  const diff = useMemo(() => (docs ? diffVersions(docs.before, docs.after) : null), [docs]);
  const savedAt = (v: number) => formatTime(versions.find((x) => x.version === v)?.saved_at);
  const picker = (value: number, onChange: (v: number) => void, testId: string) => (
    <select value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId}>
      {versions.map((v) => <option key={v.version} value={v.version}>v{v.version} · {formatTime(v.saved_at)}</option>)}
    </select>
  );

  return (
    <WideDialog title={`Compare versions of ${workflowId}`} onClose={onClose} testId="version-diff">
      <div className="version-diff">
        <div className="row">
          {picker(before, setBefore, "diff-before")}
          <button type="button" onClick={() => { setBefore(after); setAfter(before); }} title="Swap the two versions">⇄</button>
          {picker(after, setAfter, "diff-after")}
          <label className="inline small"><input type="checkbox" checked={showSame} onChange={(e) => setShowSame(e.target.checked)} /> show unchanged nodes</label>
        </div>
        {error && <p className="error">{error}</p>}
        {!diff && !error && <Skeleton rows={6} label="Loading both versions" />}
        {diff && (
          <>
            <p data-testid="diff-summary">
              {before === after ? "The same version on both sides. " : `v${before} (${savedAt(before)}) → v${after} (${savedAt(after)}): `}
              {summaryText(diff)}
            </p>
            {diff.workflow.length > 0 && (
              <section className="diff-node" data-testid="diff-workflow">
                <h3>Workflow settings</h3>
                {diff.workflow.map((c) => <FieldDiff key={c.field} change={c} />)}
              </section>
            )}
            {(diff.edgesAdded.length > 0 || diff.edgesRemoved.length > 0) && (
              <section className="diff-node" data-testid="diff-wires">
                <h3>Wires</h3>
                <ul className="diff-wires">
                  {diff.edgesRemoved.map((e) => <li key={`-${e.id}`} className="diff-removed">− {e.source} → {e.target}</li>)}
                  {diff.edgesAdded.map((e) => <li key={`+${e.id}`} className="diff-added">+ {e.source} → {e.target}</li>)}
                </ul>
              </section>
            )}
            {diff.nodes.filter((n) => showSame || n.kind !== "same").map((n) => <NodeDiffCard key={n.id} node={n} />)}
          </>
        )}
      </div>
    </WideDialog>
  );
}

function summaryText(diff: ReturnType<typeof diffVersions>): string {
  const counts = diffSummary(diff);
  const parts = (["added", "removed", "changed", "moved"] as const).filter((k) => counts[k]).map((k) => `${counts[k]} node(s) ${k}`);
  if (diff.edgesAdded.length || diff.edgesRemoved.length) parts.push(`wires +${diff.edgesAdded.length} −${diff.edgesRemoved.length}`);
  if (diff.workflow.length) parts.push(`${diff.workflow.length} workflow setting(s) changed`);
  return parts.length ? parts.join(" · ") : "no differences.";
}

function nodeTitle(spec: NodeSpec | null): string {
  if (!spec) return "";
  return spec.label ? `${spec.label} (${spec.id})` : spec.id;
}

function NodeDiffCard({ node }: { node: NodeDiff }) {
  const spec = node.after ?? node.before!;
  return (
    <section className={`diff-node diff-node-${node.kind}`} data-testid={`diff-node-${node.id}`} data-kind={node.kind}>
      <h3>
        <span className={`diff-kind diff-kind-${node.kind}`}>{node.kind}</span> {nodeTitle(spec)} <small className="muted">{spec.type}</small>
      </h3>
      {node.kind === "changed" && node.changes.map((c) => <FieldDiff key={c.field} change={c} />)}
      {node.kind === "moved" && (
        <p className="muted small">Only its position on the canvas changed ({node.before!.position?.x ?? 0}, {node.before!.position?.y ?? 0} → {node.after!.position?.x ?? 0}, {node.after!.position?.y ?? 0}).</p>
      )}
      {/* An added or removed node: its whole config on its side, so what came or went is readable. */}
      {node.kind === "added" && <FieldDiff change={{ field: "config", before: null, after: node.after!.config }} />}
      {node.kind === "removed" && <FieldDiff change={{ field: "config", before: node.before!.config, after: null }} />}
    </section>
  );
}

/** A field's diff lists this many lines until asked for all (a pin of 1,000 records is ~6,000 lines). */
const SHOWN_LINES = 400;

function FieldDiff({ change }: { change: FieldChange }) {
  const rows = useMemo(() => diffLines(valueText(change.before), valueText(change.after)), [change]);
  const [all, setAll] = useState(false);
  const stats = diffStats(rows);
  const shown = all ? rows : rows.slice(0, SHOWN_LINES);
  return (
    <div className="field-diff" data-testid={`field-diff-${change.field}`}>
      <div className="field-diff-name"><code>{change.field}</code> <small className="muted">−{stats.removed} +{stats.added}</small></div>
      <table className="line-diff">
        <tbody>
          {shown.map((row, i) => (
            <tr key={i} className={`diff-${row.kind}`}>
              <td className="ln">{row.left?.number ?? ""}</td>
              <td className={`code ${row.left && row.kind !== "same" ? "side-removed" : ""}`}>{row.left?.text ?? ""}</td>
              <td className="ln">{row.right?.number ?? ""}</td>
              <td className={`code ${row.right && row.kind !== "same" ? "side-added" : ""}`}>{row.right?.text ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length < rows.length && (
        <button type="button" className="small" onClick={() => setAll(true)}>Show all {rows.length} lines ({rows.length - shown.length} more)</button>
      )}
    </div>
  );
}
