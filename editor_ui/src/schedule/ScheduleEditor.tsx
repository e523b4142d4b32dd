/**
 * The workflow's schedule: cron with its meaning in words, timezone, on/off, next runs
 * from the API in the schedule's own zone (named). While the schedule is off nothing is
 * said to run: no plain-words text and no next runs, only a mistake in the cron.
 */
import { useEffect, useMemo, useState } from "react";
import { api, describeError } from "../api/client";
import type { Schedule } from "../api/types";
import { describeCron } from "./cronText";
import { formatTimeInZone } from "../ui/format";

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf ? ["UTC", ...intl.supportedValuesOf("timeZone")] : ["UTC"];
}

export function ScheduleEditor({ schedule, onChange }: { schedule: Schedule; onChange: (s: Schedule, field: string) => void }) {
  const cron = schedule.cron ?? "";
  const text = describeCron(cron);
  const zones = useMemo(timezones, []);
  const [nextRuns, setNextRuns] = useState<string[]>([]);
  const [serverProblem, setServerProblem] = useState<string | null>(null);

  useEffect(() => {
    setNextRuns([]);
    setServerProblem(null);
    if (!cron.trim() || !text.ok || !schedule.enabled) return;
    const timer = setTimeout(() => {
      api.cronNext(cron, schedule.timezone || "UTC")
        .then((r) => setNextRuns(r.next_runs.slice(0, 5)))
        .catch((e) => setServerProblem(describeError(e)));
    }, 300);
    return () => clearTimeout(timer);
  }, [cron, schedule.timezone, text.ok, schedule.enabled]);

  return (
    <div className="schedule" data-testid="schedule">
      <label>Cron
        <input value={cron} placeholder="e.g. 0 8 * * 1-5" data-testid="cron-input"
               onChange={(e) => onChange({ ...schedule, cron: e.target.value || null }, "cron")} />
      </label>
      <p className={text.ok || !cron ? "cron-text" : "cron-text error"} data-testid="cron-text">
        {!cron ? "Not scheduled." : !text.ok ? text.error
          : schedule.enabled ? text.text : "Off: runs only when started (enable to run on this schedule)."}
      </p>
      <label>Timezone
        <input list="wirework-timezones" value={schedule.timezone}
               onChange={(e) => onChange({ ...schedule, timezone: e.target.value }, "timezone")} />
        <datalist id="wirework-timezones">{zones.map((z) => <option key={z} value={z} />)}</datalist>
      </label>
      <label className="inline">
        <input type="checkbox" checked={schedule.enabled} disabled={!cron}
               onChange={(e) => onChange({ ...schedule, enabled: e.target.checked }, "enabled")} />
        Enabled
      </label>
      {serverProblem && <p className="error">{serverProblem}</p>}
      {nextRuns.length > 0 && (
        <>
          <h4>Next runs</h4>
          <ol className="next-runs" data-testid="next-runs">{nextRuns.map((r) => <li key={r}>{formatTimeInZone(r, schedule.timezone || "UTC")}</li>)}</ol>
        </>
      )}
      <p className="muted small">Schedule changes take effect when the workflow is saved.</p>
    </div>
  );
}
