/**
 * The server's run capacity from `GET /api/health` (`components.run_launcher.detail`): how
 * many runs execute now, how many wait, the global limit and the default memory limit of
 * a run. The health detail is untyped in the API schema (component-specific figures), so
 * it is read field by field and anything missing counts as unknown rather than zero.
 */
import type { components } from "./schema";

type HealthResponse = components["schemas"]["HealthResponse"];

/** The env vars that set these limits on `wirework up` (engine/server/services/launcher.py). */
export const MAX_CONCURRENT_ENV = "WIREWORK_MAX_CONCURRENT_RUNS";
export const RUN_MEMORY_ENV = "WIREWORK_RUN_MEMORY_MB";

export type RunCapacity =
  | { state: "ok" | "down"; running: number; queued: number; maxConcurrent: number; memoryLimitMb: number | null }
  /** The server runs no launcher (nothing can run), or is still starting (no components yet). */
  | { state: "off" }
  | { state: "starting" };

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function runCapacityOf(health: HealthResponse): RunCapacity {
  const launcher = health.components?.run_launcher;
  if (!launcher) return { state: "starting" };
  if (launcher.status === "off" || launcher.status === "external") return { state: "off" };
  const detail = launcher.detail ?? {};
  const running = count(detail.running);
  const queued = count(detail.queued);
  const maxConcurrent = count(detail.max_concurrent);
  if (running === null || queued === null || maxConcurrent === null) return { state: "starting" };
  return { state: launcher.status === "down" ? "down" : "ok", running, queued, maxConcurrent, memoryLimitMb: count(detail.memory_limit_mb) };
}

/** The Runs page's line: "Runs at once: N running · M queued · limit L (WIREWORK_MAX_CONCURRENT_RUNS)". */
export function runCapacityLine(capacity: RunCapacity): string {
  if (capacity.state === "off") return "Runs at once: this server starts no runs (no run launcher)";
  if (capacity.state === "starting") return "Runs at once: the server is starting…";
  const line = `Runs at once: ${capacity.running} running · ${capacity.queued} queued · limit ${capacity.maxConcurrent} (${MAX_CONCURRENT_ENV})`;
  return capacity.state === "down" ? `${line} — the run launcher is down` : line;
}
