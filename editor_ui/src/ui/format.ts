/** Small display formatters shared by pages. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function runDurationSeconds(run: { started_at: string | null; ended_at: string | null }): number | null {
  if (!run.started_at || !run.ended_at) return null;
  return (new Date(run.ended_at).getTime() - new Date(run.started_at).getTime()) / 1000;
}

/** What started a run: manual, schedule or webhook. */
export function triggerKind(trigger: { trigger?: string } | string | null | undefined): string {
  if (!trigger) return "";
  return typeof trigger === "string" ? trigger : trigger.trigger ?? "";
}
