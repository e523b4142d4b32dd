/** Small display formatters shared by pages. */

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * A time as the wall clock of `timeZone` shows it, with the zone named, e.g.
 * "Wed, 02/12/2026, 14:00 Europe/Berlin (GMT+1)": a schedule's next runs are meant in
 * its own zone, whatever the browser's is. An unknown zone falls back to local time, said so.
 */
export function formatTimeInZone(iso: string, timeZone: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const options: Intl.DateTimeFormatOptions = {
    weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  };
  try {
    const wall = new Intl.DateTimeFormat(locale, { ...options, timeZone }).format(date);
    const offset = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "shortOffset" })
      .formatToParts(date).find((p) => p.type === "timeZoneName")?.value;
    const isUtc = /^(etc\/)?(utc|gmt)$/i.test(timeZone);
    return offset && !isUtc ? `${wall} ${timeZone} (${offset})` : `${wall} ${timeZone}`;
  } catch {
    return `${new Intl.DateTimeFormat(locale, options).format(date)} (local time)`;
  }
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

/**
 * A node's error as one line: "KeyError: 'missing'". Errors from user code carry their
 * type in the message already (the CLI prints the message alone), others do not; the
 * type is added only when the message does not start with it.
 */
export function nodeErrorText(error: { type: string; message: string }): string {
  const { type, message } = error;
  if (!type || message.startsWith(`${type}:`) || message === type) return message;
  return `${type}: ${message}`;
}
