/**
 * "Run data: 12.3 MB · keeps the last 200 runs per workflow, 30 days" on the Runs page, from
 * `GET /api/storage`: how much disk the kept records of past runs take and what is pruned.
 */
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { components } from "../api/schema";
import { formatBytes } from "../ui/format";

type Storage = components["schemas"]["StorageResponse"];

export function retentionText(retention: Storage["retention"]): string {
  const rules: string[] = [];
  if (retention.keep_runs_per_workflow > 0) rules.push(`the last ${retention.keep_runs_per_workflow} runs per workflow`);
  if (retention.keep_days > 0) rules.push(`${retention.keep_days} days`);
  return rules.length ? `keeps ${rules.join(", ")}` : "keeps every run";
}

export function RunDataLine() {
  const [storage, setStorage] = useState<Storage | null>(null);
  useEffect(() => {
    let alive = true;
    api.storage().then((s) => alive && setStorage(s), () => undefined);
    return () => {
      alive = false;
    };
  }, []);
  if (!storage) return null;
  return (
    <p className="small muted" data-testid="run-data-size"
       title={`App database ${formatBytes(storage.app_db_bytes)}, write-ahead log ${formatBytes(storage.app_db_wal_bytes)}; ${storage.runs} runs, ${storage.node_runs} node runs kept`}>
      Run data: {formatBytes(storage.run_data_bytes)} · {retentionText(storage.retention)} (all history {formatBytes(storage.total_bytes)})
    </p>
  );
}
