/**
 * The server's run capacity (src/api/runCapacity.ts), fetched from `/api/health`. With
 * `live`, it is fetched again when a run is queued, starts or ends (the all-runs event
 * stream), at most every REFRESH_MS, and every POLL_MS in any case: the counts also change
 * without an event the page hears (a stream that reconnects, a queue drained while away).
 */
import { useEffect, useState } from "react";
import { api, describeError } from "../api/client";
import { followAllRunEvents } from "../api/runEvents";
import { runCapacityOf, type RunCapacity } from "../api/runCapacity";

const REFRESH_MS = 500; // a burst of 1,000 webhooks is one health request per half second, not 1,000
const POLL_MS = 10_000;
const CHANGING_EVENTS = new Set(["run_queued", "run_started", "run_finished"]);

export function useRunCapacity({ live }: { live: boolean }): { capacity: RunCapacity | null; error: string | null } {
  const [capacity, setCapacity] = useState<RunCapacity | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    let pending: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      pending = null;
      api.health().then(
        (health) => {
          if (!alive) return;
          setCapacity(runCapacityOf(health));
          setError(null);
        },
        (e) => alive && setError(describeError(e)),
      );
    };
    refresh();
    if (!live) return () => void (alive = false);
    const soon = () => {
      pending ??= setTimeout(refresh, REFRESH_MS);
    };
    const events = followAllRunEvents((name) => CHANGING_EVENTS.has(name) && soon());
    const poll = setInterval(soon, POLL_MS);
    return () => {
      alive = false;
      events.close();
      clearInterval(poll);
      if (pending) clearTimeout(pending);
    };
  }, [live]);
  return { capacity, error };
}
