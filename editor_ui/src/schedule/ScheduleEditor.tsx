/** The workflow's schedule: cron with its meaning in words, timezone, on/off, next runs from the API. */
import { useEffect, useMemo, useState } from "react";
import { api, describeError } from "../api/client";
import type { Schedule } from "../api/types";
import { describeCron } from "./cronText";
import { formatTime } from "../ui/format";

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
    if (!cron.trim() || !text.ok) return;
    const timer = setTimeout(() => {
      api.cronNext(cron, schedule.timezone || "UTC")
        .then((r) => setNextRuns(r.next_runs.slice(0, 5)))
        .catch((e) => setServerProblem(describeError(e)));
    }, 300);
    return () => clearTimeout(timer);
  }, [cron, schedule.timezone, text.ok]);

  return (
    <div className="schedule" data-testid="schedule">
      <label>Cron
        <input value={cron} placeholder="e.g. 0 8 * * 1-5" data-testid="cron-input"
               onChange={(e) => onChange({ ...schedule, cron: e.target.value || null }, "cron")} />
      </label>
      <p className={text.ok ? "cron-text" : "cron-text error"} data-testid="cron-text">
        {text.ok ? text.text : cron ? text.error : "Not scheduled."}
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
          <ol className="next-runs" data-testid="next-runs">{nextRuns.map((r) => <li key={r}>{formatTime(r)}</li>)}</ol>
        </>
      )}
      <p className="muted small">Schedule changes take effect when the workflow is saved.</p>
    </div>
  );
}
