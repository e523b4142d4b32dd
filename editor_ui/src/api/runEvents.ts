/** Live run events over Server-Sent Events (`/api/runs/{id}/events`). */

export const RUN_EVENT_NAMES = ["run_started", "node_started", "node_finished", "run_finished"] as const;
export type RunEventName = (typeof RUN_EVENT_NAMES)[number];

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
