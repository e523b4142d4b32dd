/** The Runs page's "Runs at once" line: the server-wide limit and what uses it now, kept current. */
import { runCapacityLine } from "../api/runCapacity";
import { useRunCapacity } from "./useRunCapacity";

export function RunCapacityLine() {
  const { capacity, error } = useRunCapacity({ live: true });
  if (!capacity) return error ? <p className="muted small" data-testid="run-capacity">Runs at once: unknown ({error})</p> : null;
  return (
    <p className="muted" data-testid="run-capacity"
       title="The server-wide limit is set when wirework up starts; a workflow can set its own lower one in the editor's Run settings.">
      {runCapacityLine(capacity)}
    </p>
  );
}
