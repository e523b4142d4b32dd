/** A task's heuristics: statistics table, labeling-function editor with preview, lookup lists and the active learner. */
import { useCallback, useEffect, useState } from "react";
import { describeError } from "../api/client";
import { labelingApi } from "./labelingApi";
import { ActiveLearnerPanel } from "./ActiveLearnerPanel";
import { LabelingFunctionEditor } from "./LabelingFunctionEditor";
import { LookupListsEditor } from "./LookupListsEditor";
import { StatisticsTable } from "./StatisticsTable";
import type { Heuristic, LabelingTask, LookupList, StatisticsReport } from "./types";

export function HeuristicsView({ project, task }: { project: string; task: LabelingTask }) {
  const [heuristics, setHeuristics] = useState<Heuristic[]>([]);
  const [lists, setLists] = useState<LookupList[]>([]);
  const [report, setReport] = useState<StatisticsReport | null>(null);
  const [editing, setEditing] = useState<{ name: string; code: string } | undefined>();
  const [editorKey, setEditorKey] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      const [h, l] = await Promise.all([labelingApi.heuristics(project, task.name), labelingApi.lookupLists(project)]);
      setHeuristics(h);
      setLists(l);
      setReport(null);
      setReport(await labelingApi.statistics(project, task.name));
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [project, task.name]);
  useEffect(() => void refresh(), [refresh]);

  return (
    <div className="heuristics-view">
      {error && <p className="error" data-testid="heuristics-error">{error}</p>}
      <StatisticsTable report={report} heuristics={heuristics}
                       onEdit={(h) => { setEditing({ name: h.name, code: String(h.config.code ?? "") }); setEditorKey((k) => k + 1); }}
                       onDelete={(h) => void labelingApi.deleteHeuristic(project, task.name, h.name).then(refresh, (e) => setError(describeError(e)))} />
      <div className="heuristics-grid">
        <LabelingFunctionEditor key={editorKey} project={project} task={task} initial={editing} onSaved={() => void refresh()} />
        <div>
          <LookupListsEditor project={project} task={task} lists={lists} heuristics={heuristics} onChanged={() => void refresh()} />
          <ActiveLearnerPanel project={project} task={task} learners={heuristics.filter((h) => h.kind === "active_learner")}
                              onChanged={() => void refresh()} />
        </div>
      </div>
    </div>
  );
}
