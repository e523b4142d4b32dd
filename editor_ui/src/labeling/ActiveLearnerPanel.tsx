/** Active learner settings (minimum confidence) with a Train button: embeds the task's texts and trains, reporting progress by polling the job. */
import { useEffect, useRef, useState } from "react";
import { describeError } from "../api/client";
import { labelingApi } from "./labelingApi";
import type { Heuristic, LabelingTask, TrainingJob } from "./types";
import { percent } from "./chartData";

const POLL_MS = 300;

export function jobProgressText(job: TrainingJob): string {
  if (job.state === "failed") return `failed: ${job.error}`;
  if (job.state === "completed" && job.result) {
    const s = job.result.statistics;
    return `trained on ${job.result.manual_labels} manual labels · ${job.result.embeddings.computed} texts embedded ` +
      `(${job.result.embeddings.cached} cached) · votes on ${s.coverage} records · precision ${percent(s.precision, 1)}`;
  }
  if (job.phase === "embedding") return job.total ? `embedding texts: ${job.done} / ${job.total}` : "embedding texts…";
  if (job.phase === "training") return "training the classifier…";
  return "starting…";
}

export function ActiveLearnerPanel({ project, task, learners, onChanged }: {
  project: string; task: LabelingTask; learners: Heuristic[]; onChanged: () => void;
}) {
  const existing = learners[0];
  const [name, setName] = useState(existing?.name ?? "learner");
  // 0, as the service: the learner votes on every record with its confidence; a flow filters (issue 14).
  const [minConfidence, setMinConfidence] = useState(Number(existing?.config.min_confidence ?? 0));
  const [job, setJob] = useState<TrainingJob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);
  useEffect(() => {
    if (existing) {
      setName(existing.name);
      setMinConfidence(Number(existing.config.min_confidence ?? 0));
    }
  }, [existing]);

  const train = async () => {
    setError(null);
    try {
      await labelingApi.saveHeuristic(project, task.name, name.trim(), "active_learner", { min_confidence: minConfidence });
      let current = await labelingApi.startTraining(project, task.name, name.trim());
      setJob(current);
      while (current.state === "running" && alive.current) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        current = await labelingApi.trainingJob(project, current.id);
        if (alive.current) setJob(current);
      }
      onChanged();
    } catch (e) {
      setError(describeError(e));
    }
  };
  const running = job?.state === "running";
  const fraction = job && job.total ? job.done / job.total : job?.state === "completed" ? 1 : 0;

  return (
    <section className="card" data-testid="active-learner">
      <div className="card-title"><h2>Active learner</h2><span className="muted small">logistic regression on sentence embeddings, trained on the manual labels</span></div>
      <div className="row">
        <label className="inline">Name <input value={name} onChange={(e) => setName(e.target.value)} style={{ width: 140 }} data-testid="learner-name" /></label>
        <label className="inline">Min confidence
          <input type="range" min={0} max={1} step={0.05} value={minConfidence} onChange={(e) => setMinConfidence(Number(e.target.value))} />
          <input type="number" min={0} max={1} step={0.05} value={minConfidence} style={{ width: 70 }}
                 onChange={(e) => setMinConfidence(Math.min(1, Math.max(0, Number(e.target.value))))} data-testid="learner-min-confidence" />
        </label>
        <button type="button" className="primary" onClick={() => void train()} disabled={running || !name.trim()} data-testid="learner-train">
          {running ? "Training…" : "Save & train"}</button>
      </div>
      {job && (
        <div className="job" data-testid="training-job" data-state={job.state}>
          <div className="progress"><div className={job.state === "failed" ? "failed" : ""} style={{ width: `${Math.round(fraction * 100)}%` }} /></div>
          <div className={job.state === "failed" ? "error small" : "small"} data-testid="training-status">{jobProgressText(job)}</div>
        </div>
      )}
      {error && <p className="error">{error}</p>}
    </section>
  );
}
