/**
 * Write a labeling function in the app's CodeMirror editor, try it on N sample records
 * (the server runs the unsaved code in a child process with a timeout) and save it.
 * Problems (syntax or runtime) are marked at their line, as in the flow editor.
 */
import { useState } from "react";
import type { WidgetProps } from "@rjsf/utils";
import { ApiError, describeError } from "../api/client";
import { CodeWidget } from "../forms/CodeWidget";
import { FieldContext, type LineMark } from "../forms/fieldContext";
import { labelingApi } from "./labelingApi";
import type { LabelingTask, PreviewResult } from "./types";

export function starterCode(task: LabelingTask): string {
  const field = task.text_fields[0] ?? "text";
  return `def lf(record):\n    text = record["${field}"].lower()\n    if "beats" in text:\n        return "${task.labels[0]}"\n    # return None: no vote\n`;
}

function lineMarkOf(error: unknown): LineMark[] {
  if (error instanceof ApiError && typeof error.body.line === "number") {
    return [{ line: error.body.line, message: error.detail, severity: "error" }];
  }
  return [];
}

export function LabelingFunctionEditor({ project, task, initial, onSaved }: {
  project: string; task: LabelingTask; initial?: { name: string; code: string }; onSaved: () => void;
}) {
  const [name, setName] = useState(initial?.name ?? "");
  const [code, setCode] = useState(initial?.code ?? starterCode(task));
  const [sampleSize, setSampleSize] = useState(20);
  const [preview, setPreview] = useState<PreviewResult | null>(null);
  const [marks, setMarks] = useState<LineMark[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"preview" | "save" | null>(null);

  const run = async (what: "preview" | "save") => {
    setBusy(what);
    setError(null);
    try {
      if (what === "preview") {
        setPreview(await labelingApi.preview(project, task.name, code, sampleSize, name.trim() || undefined));
      } else {
        await labelingApi.saveHeuristic(project, task.name, name.trim(), "labeling_function", { code });
        onSaved();
      }
      setMarks([]);
    } catch (e) {
      // A failed preview leaves no earlier results under its error, as if they were this code's.
      if (what === "preview") setPreview(null);
      setError(describeError(e));
      setMarks(lineMarkOf(e));
    } finally {
      setBusy(null);
    }
  };

  const widgetProps = { id: "lf-code", name: "lf", value: code, onChange: (v: string) => setCode(v ?? ""), readonly: false, disabled: false };
  return (
    <section className="card" data-testid="lf-editor">
      <div className="card-title"><h2>Labeling function</h2>
        <span className="muted small"><code>def lf(record)</code> returns one of {task.labels.map((l) => `“${l}”`).join(", ")} or None</span>
      </div>
      <label className="inline">Name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. beats-estimates"
                                            data-testid="lf-name" /></label>
      <FieldContext.Provider value={{ lineMarks: { lf: marks }, secretNames: [], storeNames: [] }}>
        <CodeWidget {...(widgetProps as unknown as WidgetProps)} />
      </FieldContext.Provider>
      <div className="row">
        <button type="button" onClick={() => void run("preview")} disabled={busy !== null} data-testid="lf-preview">
          {busy === "preview" ? "Running…" : "Run on sample"}</button>
        <label className="inline small">records <input type="number" min={1} max={500} value={sampleSize} style={{ width: 70 }}
                                                     onChange={(e) => setSampleSize(Math.max(1, Math.min(500, Number(e.target.value) || 1)))} /></label>
        <span className="spacer" />
        <button type="button" className="primary" onClick={() => void run("save")} disabled={busy !== null || !name.trim()} data-testid="lf-save">Save heuristic</button>
      </div>
      {error && <p className="error" data-testid="lf-error">{error}</p>}
      {preview && (
        <div className="preview" data-testid="lf-preview-result">
          <p className="small"><b>{preview.hits}</b> of {preview.sample_size} sample records get a vote
            {preview.graded > 0 && <> · <b>{preview.correct}</b> of {preview.graded} manually labelled ones correct</>}</p>
          <div className="table-scroll">
            <table className="list compact">
              <thead><tr><th>Record</th><th>Vote</th><th>Manual label</th></tr></thead>
              <tbody>
                {preview.records.map((r) => (
                  <tr key={r.id} className={r.correct === false ? "miss" : r.correct ? "hit" : ""}>
                    <td>{r.text}</td><td>{r.vote ?? <span className="muted">–</span>}</td><td>{r.manual ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
