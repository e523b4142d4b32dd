"""A run whose first node starts before Prefect has answered (issue 15).

`run_direct` executes a workflow run in this process without Prefect's flow and task
engines: each node runs on a thread of its own as soon as its upstream nodes completed
(`ThreadedNodes`), with the same node body, retries (attempts, delay, none once the run is
cancelled), timeouts and cancel as in `run_graph`. The run process never talks to Prefect:
the API writes the run's flow run, task runs and final state to Prefect from the events
the run reports (engine/server/services/prefect_writer.py). The run host's children run
their "run now"/webhook jobs this way (engine/execution/worker.py); scheduled and
work-pool runs, whose flow run Prefect created, and in-process runs (`wirework run`,
engine/execution/local_run.py) still go through `run_graph`, Prefect's own flow engine.

What this took off a run's critical path: four round trips to Prefect's server before the
first node (CSRF token, flow, flow run, Running state), Prefect's per-task engine work in
the run process (contexts, state objects, an event per state sent over a websocket),
the wait for Prefect's health before anything ran, and — since Prefect's record moved to
the API — the run process's own requests to Prefect and the thread that sent them.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from engine.execution.executor import ActiveRun, _execute_node, execute_workflow
from engine.model.statuses import RunStatus

MAX_THREADS = 32  # nodes of one run executing at once (Prefect's thread pool allowed as many)


class ThreadedNodes:
    """executor.NodeRunner: each node on a pool thread once every upstream node completed;
    a node with a failed upstream never starts (Prefect's NotReady)."""

    def __init__(self, max_threads: int = MAX_THREADS):
        self.submitted: dict[str, str] = {}  # node id -> "pending" | "running" | "completed" | "failed" | "not_ready"
        self._upstream: dict[str, list[str]] = {}
        self._done: queue.SimpleQueue[tuple[str, bool]] = queue.SimpleQueue()
        self._pool = ThreadPoolExecutor(max_workers=max_threads, thread_name_prefix="node")
        self._active: ActiveRun | None = None

    def submit(self, active: ActiveRun, node_id: str, upstream: list[str]) -> None:
        self._active = active
        self.submitted[node_id] = "pending"
        self._upstream[node_id] = upstream
        if not upstream:
            self._start(node_id)

    def wait(self) -> list[str]:
        try:
            while any(state in ("pending", "running") for state in self.submitted.values()):
                self._settle_not_ready()
                if not any(state == "running" for state in self.submitted.values()):
                    break
                node_id, ok = self._done.get()
                self.submitted[node_id] = "completed" if ok else "failed"
                for successor, upstream in self._upstream.items():
                    if self.submitted[successor] == "pending" and all(
                            self.submitted[u] == "completed" for u in upstream):
                        self._start(successor)
        finally:
            self._pool.shutdown(wait=True)
        return [nid for nid, state in self.submitted.items() if state == "failed"]

    def _settle_not_ready(self) -> None:
        changed = True
        while changed:
            changed = False
            for node_id, upstream in self._upstream.items():
                if self.submitted[node_id] == "pending" and any(
                        self.submitted[u] in ("failed", "not_ready") for u in upstream):
                    self.submitted[node_id] = "not_ready"
                    changed = True

    def _start(self, node_id: str) -> None:
        self.submitted[node_id] = "running"
        self._pool.submit(self._run, node_id)

    def _run(self, node_id: str) -> None:
        active = self._active
        assert active is not None
        spec = active.specs[node_id]
        ok = False
        try:
            while True:
                try:
                    _execute_node(active, node_id)
                    ok = True
                    break
                except BaseException:  # noqa: BLE001 - the node's thread ends here whatever it raised
                    attempts = active.attempts.get(node_id, 1)
                    if attempts > spec.retries or active.cancel_event.is_set():
                        break
                    if active.cancel_event.wait(spec.retry_delay_s or 0.0):
                        break  # cancelled while waiting to retry: the retry never starts
        finally:
            self._done.put((node_id, ok))


def run_direct(workflow_id: str, run_id: str) -> RunStatus:
    """Run the environment's workflow (executor.set_environment) on threads; the run's status."""
    _, status, _, _ = execute_workflow(workflow_id, None, None, run_id, ThreadedNodes())
    return status
