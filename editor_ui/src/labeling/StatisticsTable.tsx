/** Per-heuristic statistics of a task, as refinery shows them: coverage, overlaps, conflicts, hits, misses and precision. */
import type { Heuristic, StatisticsReport } from "./types";
import { percent } from "./chartData";

const KIND_TITLES: Record<string, string> = { labeling_function: "function", lookup_list: "lookup list", active_learner: "active learner" };

export function StatisticsTable({ report, heuristics, onEdit, onDelete }: {
  report: StatisticsReport | null; heuristics: Heuristic[]; onEdit: (h: Heuristic) => void; onDelete: (h: Heuristic) => void;
}) {
  const byName = new Map(heuristics.map((h) => [h.name, h]));
  return (
    <section className="card" data-testid="statistics">
      <div className="card-title"><h2>Heuristics</h2>
        {report && <span className="muted small">{report.records} records · {report.manual_labels} manually labelled (precision is measured on those)</span>}
      </div>
      <table className="list stats-table" data-testid="statistics-table">
        <thead>
          <tr><th>Heuristic</th><th>Kind</th><th className="num">Coverage</th><th className="num">Overlaps</th><th className="num">Conflicts</th>
            <th className="num">Correct</th><th className="num">Wrong</th><th className="num">Precision</th><th /></tr>
        </thead>
        <tbody>
          {heuristics.length === 0 && <tr><td colSpan={9} className="muted">No heuristics yet: add a labeling function, a lookup list or an active learner below.</td></tr>}
          {heuristics.map((h) => {
            const s = report?.heuristics.find((x) => x.name === h.name);
            return (
              <tr key={h.name} data-testid={`stats-${h.name}`}>
                <td><b>{h.name}</b>{h.kind === "lookup_list" && <span className="muted small"> → {String(h.config.label)}</span>}</td>
                <td className="muted">{KIND_TITLES[h.kind] ?? h.kind}</td>
                {s ? (
                  <>
                    <td className="num" data-testid="stat-coverage">{s.coverage} <span className="muted small">({percent(s.coverage_share, 1)})</span></td>
                    <td className="num" data-testid="stat-overlaps">{s.overlaps}</td>
                    <td className="num" data-testid="stat-conflicts">{s.conflicts}</td>
                    <td className="num">{s.true_positives}</td>
                    <td className="num">{s.false_positives}</td>
                    <td className="num" data-testid="stat-precision">{percent(s.precision, 1)}</td>
                  </>
                ) : <td colSpan={6} className="muted small">{report ? "–" : "computing…"}</td>}
                <td className="actions">
                  {byName.get(h.name)?.kind === "labeling_function" && <button type="button" className="small" onClick={() => onEdit(h)}>Edit</button>}
                  <button type="button" className="small danger" onClick={() => onDelete(h)}>Delete</button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
