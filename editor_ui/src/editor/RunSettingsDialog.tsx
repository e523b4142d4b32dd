/**
 * The workflow's run settings: how many of its runs may run at once, a run's memory limit,
 * and how often a crashed scheduled/webhook run is started again. Apply makes them one
 * ordinary document edit (one undo step, unsaved until Save); while a field is wrong its
 * error shows beside it and nothing is applied. The server's own limits (from /api/health)
 * are the placeholders, since an empty field means "the server decides".
 */
import { useState, type FormEvent } from "react";
import { Modal } from "../ui/Modal";
import { MAX_CONCURRENT_ENV, RUN_MEMORY_ENV, type RunCapacity } from "../api/runCapacity";
import { useRunCapacity } from "../pages/useRunCapacity";
import { useEditor } from "./editorStore";
import { parseRunSetting, parseRunSettings, runSettingsPatch, runSettingsText, type RunSettingKey, type RunSettingsText } from "./runSettings";

interface FieldView {
  label: string;
  help: string;
  placeholder(capacity: RunCapacity | null): string;
}

const FIELDS: Record<RunSettingKey, FieldView> = {
  max_concurrent_runs: {
    label: "Max concurrent runs",
    help: "At most this many runs of this workflow at once; more wait, queued, and start in order.",
    placeholder: (c) => (c && "maxConcurrent" in c ? `only the server's limit (${c.maxConcurrent}, ${MAX_CONCURRENT_ENV})` : "only the server's limit"),
  },
  memory_mb: {
    label: "Memory limit per run (MB)",
    help: "Counts every process a run starts; a run above it is stopped.",
    placeholder: (c) => (c && "memoryLimitMb" in c && c.memoryLimitMb ? `server default (${c.memoryLimitMb} MB, ${RUN_MEMORY_ENV})` : "server default"),
  },
  retry_crashed: {
    label: "Restart crashed runs",
    help: "How many times a scheduled or webhook run whose worker died is started again; never a manual, failed or cancelled run.",
    placeholder: () => "0",
  },
};

export function RunSettingsDialog({ onClose }: { onClose: () => void }) {
  const meta = useEditor((s) => s.meta)!;
  const updateMeta = useEditor((s) => s.updateMeta);
  const [text, setText] = useState<RunSettingsText>(() => runSettingsText(meta));
  const [pinsInTriggered, setPinsInTriggered] = useState(!!meta.pins_in_triggered_runs);
  const { capacity } = useRunCapacity({ live: false });
  const parsed = parseRunSettings(text);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!parsed.settings) return;
    const patch: Partial<typeof meta> = runSettingsPatch(meta, parsed.settings);
    // Off is left out of the document (undefined), as a document from before the setting had it.
    if (pinsInTriggered !== !!meta.pins_in_triggered_runs) patch.pins_in_triggered_runs = pinsInTriggered || undefined;
    // No change, no edit: opening and applying must not mark the workflow unsaved.
    if (Object.keys(patch).length) updateMeta(patch);
    onClose();
  };

  return (
    <Modal title="Run settings" onClose={onClose} testId="run-settings">
      <form onSubmit={apply} noValidate>
        {(Object.keys(FIELDS) as RunSettingKey[]).map((key) => {
          const field = FIELDS[key];
          const result = parseRunSetting(key, text[key]);
          const error = "error" in result ? result.error : null;
          return (
            <label key={key}>
              {field.label}
              <input inputMode="numeric" value={text[key]} placeholder={field.placeholder(capacity)}
                     aria-invalid={!!error} data-testid={`run-setting-${key}`}
                     onChange={(e) => setText({ ...text, [key]: e.target.value })} />
              {error
                ? <span className="error small" role="alert" data-testid={`run-setting-${key}-error`}>{error}</span>
                : <span className="muted small">{field.help}</span>}
            </label>
          );
        })}
        <label className="inline">
          <input type="checkbox" checked={pinsInTriggered} onChange={(e) => setPinsInTriggered(e.target.checked)}
                 data-testid="run-setting-pins_in_triggered_runs" />
          Pinned data in scheduled and webhook runs too
        </label>
        <span className="muted small">Off: only runs started here use pinned nodes' records; scheduled and webhook runs run every node.</span>
        <p className="muted small">Applied as an edit of this workflow: saved with Save, undone with Undo.</p>
        <div className="modal-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="submit" className="primary" disabled={!parsed.settings} data-testid="run-settings-apply">Apply</button>
        </div>
      </form>
    </Modal>
  );
}
