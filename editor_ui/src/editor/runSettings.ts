/**
 * The workflow's run settings (concurrency, memory, crash retries) as form text and back.
 * Pure rules, no React: the dialog (RunSettingsDialog.tsx) and the unit tests use them.
 * The bounds are the model's (engine/model/workflow.py); checking them here means a bad
 * value is refused in the dialog rather than by the server on Save.
 */
import type { Workflow } from "../api/types";

/** The three fields as the model holds them (null: not set, the server's default applies). */
export interface RunSettings {
  max_concurrent_runs: number | null;
  memory_mb: number | null;
  retry_crashed: number;
}
/** Where they come from: the open document's workflow fields (optional in a document from before them). */
type RunSettingsSource = Pick<Workflow, "max_concurrent_runs" | "memory_mb" | "retry_crashed">;
export type RunSettingKey = keyof RunSettings;
/** What the user typed, per field ("" is a valid input for every field). */
export type RunSettingsText = Record<RunSettingKey, string>;

interface FieldRule {
  min: number;
  max: number;
  /** The value an empty input stands for: null means "not set" (the server decides). */
  empty: number | null;
  /** The inline error; says what an empty input means too, so the fix is obvious. */
  error: string;
}

export const RUN_SETTING_RULES: Record<RunSettingKey, FieldRule> = {
  max_concurrent_runs: { min: 1, max: 1000, empty: null, error: "A whole number from 1 to 1000, or empty for only the server's limit." },
  memory_mb: { min: 64, max: 2 ** 20, empty: null, error: "A whole number of MB from 64 to 1048576, or empty for the server's default." },
  retry_crashed: { min: 0, max: 10, empty: 0, error: "A whole number from 0 to 10 (empty is 0: never started again)." },
};

export const RUN_SETTING_KEYS = Object.keys(RUN_SETTING_RULES) as RunSettingKey[];

export function runSettingsOf(doc: RunSettingsSource): RunSettings {
  return { max_concurrent_runs: doc.max_concurrent_runs ?? null, memory_mb: doc.memory_mb ?? null, retry_crashed: doc.retry_crashed ?? 0 };
}

export function runSettingsText(doc: RunSettingsSource): RunSettingsText {
  const settings = runSettingsOf(doc);
  // retry_crashed 0 is shown as "0", not empty: it is a value the user can see and change.
  return {
    max_concurrent_runs: settings.max_concurrent_runs === null ? "" : String(settings.max_concurrent_runs),
    memory_mb: settings.memory_mb === null ? "" : String(settings.memory_mb),
    retry_crashed: String(settings.retry_crashed),
  };
}

/** One field's text as its value, or the error to show beside it. */
export function parseRunSetting(key: RunSettingKey, text: string): { value: number | null } | { error: string } {
  const rule = RUN_SETTING_RULES[key];
  const trimmed = text.trim();
  if (trimmed === "") return { value: rule.empty };
  // Digits only: Number() would take "1e3", "0x10" or "2.0", which the model's int refuses or reads differently.
  if (!/^\d+$/.test(trimmed)) return { error: rule.error };
  const value = Number(trimmed);
  if (value < rule.min || value > rule.max) return { error: rule.error };
  return { value };
}

/**
 * The whole form: the settings to apply, or the errors per field. Nothing is applied
 * while any field is wrong, so a half-valid form never reaches the document.
 */
export function parseRunSettings(text: RunSettingsText):
  { settings: RunSettings; errors: null } | { settings: null; errors: Partial<Record<RunSettingKey, string>> } {
  const errors: Partial<Record<RunSettingKey, string>> = {};
  const values: Partial<Record<RunSettingKey, number | null>> = {};
  for (const key of RUN_SETTING_KEYS) {
    const parsed = parseRunSetting(key, text[key]);
    if ("error" in parsed) errors[key] = parsed.error;
    else values[key] = parsed.value;
  }
  if (Object.keys(errors).length) return { settings: null, errors };
  return {
    settings: { max_concurrent_runs: values.max_concurrent_runs ?? null, memory_mb: values.memory_mb ?? null, retry_crashed: values.retry_crashed ?? 0 },
    errors: null,
  };
}

/** The fields of `next` that differ from `current` (an empty patch: nothing to record as an edit). */
export function runSettingsPatch(current: RunSettingsSource, next: RunSettings): Partial<RunSettings> {
  const before = runSettingsOf(current);
  const patch: Partial<RunSettings> = {};
  for (const key of RUN_SETTING_KEYS) {
    if (before[key] !== next[key]) (patch as Record<RunSettingKey, number | null>)[key] = next[key];
  }
  return patch;
}
