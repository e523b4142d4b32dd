/** Human-readable text for a cron expression (cronstrue), or the reason it cannot be read. */
import cronstrue from "cronstrue";

export type CronText = { ok: true; text: string } | { ok: false; error: string };

export function describeCron(expression: string | null | undefined): CronText {
  const trimmed = (expression ?? "").trim();
  if (!trimmed) return { ok: false, error: "no schedule" };
  if (trimmed.split(/\s+/).length !== 5) return { ok: false, error: "a cron expression has 5 fields: minute hour day month weekday" };
  try {
    return { ok: true, text: cronstrue.toString(trimmed, { use24HourTimeFormat: true, throwExceptionOnParseError: true, verbose: false }) };
  } catch (error) {
    const message = typeof error === "string" ? error : error instanceof Error ? error.message : String(error);
    return { ok: false, error: message.replace(/^Error: /, "") };
  }
}
