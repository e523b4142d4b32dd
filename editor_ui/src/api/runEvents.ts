/** Live run events over Server-Sent Events (`/api/runs/{id}/events`). */
import type { RunStatus } from "./types";

// `run_state` (the whole run so far) opens every per-run stream; `run_queued` only comes on /api/events.
export const RUN_EVENT_NAMES = [
  "run_state", "run_queued", "run_started", "node_started", "node_finished", "run_cancelling", "run_finished",
] as const;
export type RunEventName = (typeof RUN_EVENT_NAMES)[number];

/** Statuses of a run that has not ended yet (engine/model/statuses.py: ACTIVE_RUN_STATUSES). */
export const ACTIVE_RUN_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>(["queued", "running", "cancelling"]);

export function isActiveRun(status: RunStatus | undefined | null): boolean {
  return !!status && ACTIVE_RUN_STATUSES.has(status);
}

/**
 * Calls `onEvent` for each event of the run until `run_finished` (or `close()`).
 * `onLost` is called if the stream breaks before the run finished, so the caller can
 * fall back to polling the run.
 */
export function followRunEvents(
  runId: string,
  onEvent: (name: RunEventName, payload: Record<string, unknown>) => void,
  onLost: () => void,
): { close(): void } {
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  let finished = false;
  for (const name of RUN_EVENT_NAMES) {
    source.addEventListener(name, (event) => {
      let payload: Record<string, unknown> = {};
      try {
        payload = JSON.parse((event as MessageEvent).data);
      } catch {
        return;
      }
      onEvent(name, payload);
      if (name === "run_finished") {
        finished = true;
        source.close();
      }
    });
  }
  source.onerror = () => {
    // EventSource reconnects by itself; once the server ended the stream there is nothing to wait for.
    if (finished) return;
    if (source.readyState === EventSource.CLOSED) onLost();
    else {
      source.close();
      onLost();
    }
  };
  return {
    close() {
      finished = true;
      source.close();
    },
  };
}

/**
 * Events of every run (`/api/events`), e.g. to notice runs a schedule or webhook started.
 * EventSource reconnects by itself after a network blip.
 */
export function followAllRunEvents(onEvent: (name: RunEventName, payload: Record<string, unknown>) => void): { close(): void } {
  const source = new EventSource("/api/events");
  for (const name of RUN_EVENT_NAMES) {
    source.addEventListener(name, (event) => {
      try {
        onEvent(name, JSON.parse((event as MessageEvent).data));
      } catch {
        /* a malformed event is skipped */
      }
    });
  }
  return { close: () => source.close() };
}
