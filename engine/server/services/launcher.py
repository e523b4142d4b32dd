"""Starting, cancelling and watching run processes (lives in the API process).

Where a run's process comes from is engine/execution/run_processes.py: a child forked
by the run host (default), or a fresh worker per run with a warm spare
(`WIREWORK_RUN_PROCESSES=spawn`). At most `max_concurrent` runs execute at once
(`WIREWORK_MAX_CONCURRENT_RUNS`, default 16: a burst of webhooks must not fork-bomb a
2-core machine) and at most a workflow's own `max_concurrent_runs` of that workflow; the
others wait with status "queued" and start oldest first as slots free — a workflow at
its own limit does not hold up the runs of others behind it. A watcher thread per run notices when its process
ends: a process that ended without reporting the end of its run is reported as
crashed (or cancelled, if we killed it on request) — a run is never left "running".

A run owns its process tree (engine/execution/process_tree.py): a hard kill — after the
cancel grace, or at the memory limit — SIGKILLs the worker and everything below it, also
what left its process group.

Cancel never blocks the caller: SIGTERM asks the worker to cancel the run cooperatively
(engine/execution/worker.py), and a timer SIGKILLs the tree if it is still there after
`CANCEL_GRACE_S`.

Memory: one watchdog thread sums the resident memory of each running worker's tree
every `MEMORY_POLL_S` and kills a tree above its run's limit (`WIREWORK_RUN_MEMORY_MB`,
default a quarter of the machine's RAM, or the workflow's `memory_mb`); its exit is
reported with the limit, so the run fails naming it. Measured here: a node allocating
50 MB steps at ~1 GB/s under a 1,000 MB limit was killed at 1,127 MB resident, i.e.
about one poll past the limit (a warm worker itself is ~170 MB of it). Why RSS polling rather than a kernel limit: RLIMIT_AS
counts address space, which torch and numpy reserve by the gigabyte without touching it;
RLIMIT_DATA is per process (each child of the run gets the whole limit again) and turns
the limit into a MemoryError — or an abort inside a C extension — that user code may
catch; a cgroup v2 memory.max would be exact, but this machine (like many containers)
has a read-only cgroup v1 hierarchy. The watchdog sees the whole tree and works anywhere
with /proc.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from engine.execution import process_tree
from engine.execution.run_processes import RunProcess, RunProcessSource, python_command, run_process_source
from engine.execution.worker import API_URL_ENV

log = logging.getLogger("wirework.launcher")
# From SIGTERM to SIGKILL of a cancelled run's tree; longer than the worker's own grace
# (engine/execution/worker.py, 1 s), so a run that stops on its own reports itself, and
# short enough that a cancelled run is "cancelled" within 2 s.
CANCEL_GRACE_S = 1.5
SHUTDOWN_GRACE_S = 5.0
MEMORY_POLL_S = 0.1
MEMORY_ENV = "WIREWORK_RUN_MEMORY_MB"
# Runs at once, server-wide. A forked run waits on the Prefect and wirework APIs for most
# of its life, so many fit on 2 cores; each costs its private memory (bench/throughput.py).
DEFAULT_MAX_CONCURRENT = 16


def default_memory_limit_mb(environ: dict[str, str] | None = None) -> int:
    """`WIREWORK_RUN_MEMORY_MB`, else a quarter of the machine's RAM (at least 1 GB): four
    concurrent runs (the default) at their limit still leave the server its memory."""
    raw = (os.environ if environ is None else environ).get(MEMORY_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{MEMORY_ENV} must be a whole number of MB, not {raw!r}") from None
        if value < 64:
            raise ValueError(f"{MEMORY_ENV} must be at least 64 MB, not {value}")
        return value
    total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (1024 * 1024)
    return max(1024, total_mb // 4)


@dataclass
class WorkerExit:
    run_id: str
    returncode: int
    cancelled: bool
    memory_limit_mb: int | None = None  # set when the watchdog killed the run at its limit


class RunLauncher:
    def __init__(self, api_url: str, env: dict[str, str],
                 on_exit: Callable[[WorkerExit], None], max_concurrent: int = DEFAULT_MAX_CONCURRENT,
                 wrap_command: Callable[[list[str]], list[str]] = lambda argv: argv,
                 memory_limit_mb: int | None = None, source: RunProcessSource | None = None,
                 on_reports: Callable[[list[dict[str, Any]]], None] | None = None):
        self.memory_limit_mb = memory_limit_mb or default_memory_limit_mb()
        # The run processes' interpreter, e.g. inside the sandbox; the source adds `-m module`.
        # Forked runs report through the run host to `on_reports` (RunService.apply_reports).
        self._source = source or run_process_source(python_command(wrap_command), {**env, API_URL_ENV: api_url},
                                                    on_reports=on_reports)
        self._on_exit = on_exit
        self.max_concurrent = max(1, max_concurrent)
        self._lock = threading.Lock()
        self._running: dict[str, RunProcess | None] = {}  # None: reserved, starting
        self._workflow_of: dict[str, str] = {}  # running run id -> workflow id
        self._workflow_limits: dict[str, int] = {}  # running run id -> its workflow's limit
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._cancelled: set[str] = set()
        self._limits: dict[str, int] = {}  # run id -> memory limit in MB
        self._over_limit: dict[str, int] = {}  # runs the watchdog killed -> their limit
        self._closed = False
        self._watchdog = threading.Thread(target=self._watch_memory, name="wirework-memory", daemon=True)

    def start(self) -> None:
        self._source.start()
        if not self._watchdog.is_alive():
            self._watchdog.start()

    def health(self) -> dict[str, Any]:
        """For /api/health: cheap, from what this object already knows."""
        with self._lock:
            state = {"ok": not self._closed, "running": len(self._running), "queued": len(self._queue),
                     "max_concurrent": self.max_concurrent, "memory_limit_mb": self.memory_limit_mb}
        source = self._source.health()
        state["spare_ready"] = bool(source.get("host_ready", source.get("spare_ready")))
        return {**state, "run_processes": source}

    def launch(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            self._queue.append((run_id, job))
            startable = self._drain()
        for queued_run in startable:
            self._start(*queued_run)

    def _drain(self) -> list[tuple[str, dict[str, Any]]]:
        """Take every queued run that has a slot now, oldest first (under the lock)."""
        startable = []
        while not self._closed and (next_run := self._next_startable()) is not None:
            startable.append(next_run)
        return startable

    # -- slots: a global limit, and each workflow's own --------------------------------
    @staticmethod
    def _workflow(job: dict[str, Any]) -> tuple[str, int | None]:
        workflow = job.get("workflow") or {}
        limit = workflow.get("max_concurrent_runs")
        return str(workflow.get("id", "")), int(limit) if limit else None

    def _has_slot(self, job: dict[str, Any]) -> bool:
        if len(self._running) >= self.max_concurrent:
            return False
        workflow_id, limit = self._workflow(job)
        if limit is None:
            return True
        return sum(1 for w in self._workflow_of.values() if w == workflow_id) < limit

    def _reserve(self, run_id: str, job: dict[str, Any]) -> None:
        self._running[run_id] = None  # the slot is taken before leaving the lock
        self._workflow_of[run_id] = self._workflow(job)[0]
        self._limits[run_id] = self._limit_of(job)

    def _next_startable(self) -> tuple[str, dict[str, Any]] | None:
        """The oldest queued run with a free slot (a workflow at its own limit does not hold
        up the others behind it); reserved before the lock is left."""
        for index, (run_id, job) in enumerate(self._queue):
            if len(self._running) >= self.max_concurrent:
                return None
            if self._has_slot(job):
                del self._queue[index]
                self._reserve(run_id, job)
                return run_id, job
        return None

    def _limit_of(self, job: dict[str, Any]) -> int:
        workflow = job.get("workflow") or {}
        return int(workflow.get("memory_mb") or self.memory_limit_mb)

    def queued(self) -> list[str]:
        with self._lock:
            return [run_id for run_id, _ in self._queue]

    def _start(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            cancelled_while_starting = run_id in self._cancelled
        # A run cancelled before it got a process gets none: its handle ends at once.
        process = self._source.run(run_id, None if cancelled_while_starting else job)
        with self._lock:
            self._running[run_id] = process
        threading.Thread(target=self._watch, args=(run_id, process), name=f"wirework-watch-{run_id[:8]}",
                         daemon=True).start()

    def _watch(self, run_id: str, process: RunProcess) -> None:
        returncode = process.wait()
        with self._lock:
            self._running.pop(run_id, None)
            self._workflow_of.pop(run_id, None)
            self._limits.pop(run_id, None)
            over_limit = self._over_limit.pop(run_id, None)
            cancelled = run_id in self._cancelled and over_limit is None
            self._cancelled.discard(run_id)
            following = self._drain()
        try:
            self._on_exit(WorkerExit(run_id, returncode, cancelled, memory_limit_mb=over_limit))
        except Exception:
            log.exception("handling the end of run %s failed", run_id)
        for queued_run in following:
            self._start(*queued_run)

    def is_running(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._running

    def pid_of(self, run_id: str) -> int | None:
        with self._lock:
            process = self._running.get(run_id)
            return process.pid if process else None

    def _watch_memory(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                watched = [(run_id, process, self._limits.get(run_id, self.memory_limit_mb))
                           for run_id, process in self._running.items()
                           if process is not None and process.pid is not None and run_id not in self._over_limit]
            if watched:
                snapshot = process_tree.ProcessSnapshot()  # one /proc walk for every run
                for run_id, process, limit_mb in watched:
                    rss = snapshot.tree_rss_bytes(process.pid or 0)
                    if rss > limit_mb * 1024 * 1024 and process.returncode is None:
                        with self._lock:
                            self._over_limit[run_id] = limit_mb
                        log.warning("run %s reached its memory limit of %d MB (%d MB resident): killing it",
                                    run_id, limit_mb, rss // (1024 * 1024))
                        process.kill_tree()
            time.sleep(MEMORY_POLL_S)

    def cancel(self, run_id: str) -> bool:
        """Ask a running run to stop (SIGTERM, then SIGKILL of its tree after the grace) or
        drop a queued one; returns at once. False if the run is unknown."""
        with self._lock:
            for index, (queued_id, _) in enumerate(self._queue):
                if queued_id == run_id:
                    del self._queue[index]
                    break
            else:
                if run_id not in self._running:
                    return False
                self._cancelled.add(run_id)
                process = self._running[run_id]
                queued_id = None
                if process is None:  # still starting: _start stops it once it exists
                    return True
        if queued_id is not None:
            self._on_exit(WorkerExit(run_id, 0, cancelled=True))
            return True
        if process is not None:  # (None returned above; said again for the type checker)
            process.signal_group(signal.SIGTERM)
            timer = threading.Timer(CANCEL_GRACE_S, process.kill_tree)
            timer.daemon = True
            timer.start()
        return True

    def shutdown(self) -> None:
        """Running runs are asked to cancel (SIGTERM) and given `SHUTDOWN_GRACE_S`; what is
        left is killed; then the source stops (the run host, or the waiting spare)."""
        with self._lock:
            self._closed = True
            self._queue.clear()  # still "queued" in the app database: settled at the next start
            processes = [p for p in self._running.values() if p is not None]
        for process in processes:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + SHUTDOWN_GRACE_S
        for process in processes:
            while process.returncode is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if process.returncode is None:
                process.kill_tree()
        self._source.shutdown(SHUTDOWN_GRACE_S)
