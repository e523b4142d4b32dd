/** Run weak supervision with its constants (c, k, default precision); charts of the label distribution and the confidence histogram; agreement with manual labels. */
import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { describeError } from "../api/client";
import { labelingApi } from "./labelingApi";
import { confidenceHistogram, distributionRows, percent } from "./chartData";
import type { LabelingProject, LabelingTask, WeakSupervisionReport, WeakSupervisionSettings } from "./types";

const LABEL_COLOURS = ["#2f6fed", "#7c3aed", "#0f9d8a", "#c58a00", "#d43d3d", "#0891b2", "#65a30d", "#db2777", "#475569"];
const NO_LABEL_COLOUR = "#cbd5e1";

export function WeakSupervisionView({ project, task, onChanged }: { project: LabelingProject; task: LabelingTask; onChanged: () => void }) {
  const [settings, setSettings] = useState<WeakSupervisionSettings>(project.weak_supervision);
  const [report, setReport] = useState<WeakSupervisionReport | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      await labelingApi.setWeakSupervision(project.name, settings);
      setReport(await labelingApi.weakSupervision(project.name, task.name));
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setRunning(false);
    }
  };
  const field = (key: keyof WeakSupervisionSettings, title: string, hint: string, step: number) => (
    <label className="ws-constant">{title} <span className="muted small">{hint}</span>
      <input type="number" step={step} value={settings[key] ?? ""} data-testid={`ws-${key}`}
             onChange={(e) => setSettings({ ...settings, [key]: Number(e.target.value) })} />
    </label>
  );
  const distribution = report ? distributionRows(report, task.labels) : [];
  const histogram = report ? confidenceHistogram(report.results) : [];
  const labelled = distribution.slice(0, -1).reduce((sum, row) => sum + row.records, 0);

  return (
    <div className="ws-view">
      <section className="card">
        <div className="card-title"><h2>Weak supervision</h2>
          <span className="muted small">each vote weighs precision × confidence; the winner's margin over the rest gives confidence 1 / (1 + e^(−c·margin + k))</span></div>
        <div className="row ws-constants">
          {field("c", "c", "steepness", 0.5)}
          {field("k", "k", "offset", 0.5)}
          {field("default_precision", "default precision", "for heuristics without graded votes", 0.05)}
          <button type="button" className="primary" onClick={() => void run()} disabled={running} data-testid="ws-run">
            {running ? "Running…" : "Run weak supervision"}</button>
        </div>
        {error && <p className="error" data-testid="ws-error">{error}</p>}
      </section>
      {report && (
        <>
          <section className="card ws-summary" data-testid="ws-summary">
            <div className="metric"><div className="metric-value" data-testid="ws-labelled">{labelled}</div><div className="muted small">of {Object.keys(report.results).length} records weakly labelled</div></div>
            <div className="metric"><div className="metric-value" data-testid="ws-agreement">{percent(report.agreement.rate, 1)}</div>
              <div className="muted small">agreement with manual labels ({report.agreement.agreed} of {report.agreement.compared} compared; {report.agreement.manual_labels} manual)</div></div>
          </section>
          <div className="ws-charts">
            <section className="card chart-card" data-testid="ws-distribution">
              <h3>Label distribution</h3>
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={distribution} margin={{ top: 8, right: 16, left: 0, bottom: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="label" tick={{ fontSize: 12 }} />
                  <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
                  <Tooltip />
                  <Bar dataKey="records" isAnimationActive={false} label={{ position: "top", fontSize: 12 }}>
                    {distribution.map((row, i) => <Cell key={row.label} fill={i < task.labels.length ? LABEL_COLOURS[i % LABEL_COLOURS.length] : NO_LABEL_COLOUR} />)}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
              <table className="list compact" data-testid="ws-distribution-table">
                <tbody>{distribution.map((row) => <tr key={row.label}><td>{row.label}</td><td className="num" data-label={row.label}>{row.records}</td></tr>)}</tbody>
              </table>
            </section>
            <section className="card chart-card" data-testid="ws-histogram">
              <h3>Confidence of the weak labels</h3>
              <ResponsiveContainer width="100%" height={240}>
                <BarChart data={histogram} margin={{ top: 8, right: 16, left: 0, bottom: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="bin" tick={{ fontSize: 11 }} />
                  <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
                  <Tooltip />
                  <Bar dataKey="records" fill="#2f6fed" isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
              <p className="muted small">records per confidence bin; unlabelled records are not shown</p>
            </section>
          </div>
        </>
      )}
    </div>
  );
}
