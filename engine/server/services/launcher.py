"""Starting, cancelling and watching flow-run worker processes (lives in the API process).

One warm spare worker is always waiting (see engine/worker.py); a run takes it and a
new spare starts in the background. At most `max_concurrent` runs execute at once (a
burst of webhooks must not fork-bomb a 2-core machine); the others wait, in order, with
status "queued". A watcher thread per run notices when its process
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
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import IO, Any, Callable

import orjson

from engine.execution import process_tree
from engine.execution.worker import API_URL_ENV

log = logging.getLogger("wirework.launcher")
# From SIGTERM to SIGKILL of a cancelled run's tree; longer than the worker's own grace
# (engine/execution/worker.py, 1 s), so a run that stops on its own reports itself, and
# short enough that a cancelled run is "cancelled" within 2 s.
CANCEL_GRACE_S = 1.5
SHUTDOWN_GRACE_S = 5.0
MEMORY_POLL_S = 0.1
MEMORY_ENV = "WIREWORK_RUN_MEMORY_MB"


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
                 on_exit: Callable[[WorkerExit], None], max_concurrent: int = 4,
                 wrap_command: Callable[[list[str]], list[str]] = lambda argv: argv,
                 memory_limit_mb: int | None = None):
        self._env = {**env, API_URL_ENV: api_url}
        self.memory_limit_mb = memory_limit_mb or default_memory_limit_mb()
        self._command = wrap_command([sys.executable, "-m", "engine.execution.worker"])  # e.g. inside a sandbox
        self._on_exit = on_exit
        self.max_concurrent = max(1, max_concurrent)
        self._lock = threading.Lock()
        self._spare: subprocess.Popen | None = None
        self._running: dict[str, subprocess.Popen | None] = {}  # None: reserved, starting
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._cancelled: set[str] = set()
        self._limits: dict[str, int] = {}  # run id -> memory limit in MB
        self._over_limit: dict[str, int] = {}  # runs the watchdog killed -> their limit
        self._closed = False
        self._watchdog = threading.Thread(target=self._watch_memory, name="wirework-memory", daemon=True)

    def _spawn(self) -> subprocess.Popen:
        # A new session: cancelling kills the worker *and* anything user code started.
        return subprocess.Popen(self._command, stdin=subprocess.PIPE,
                                env=self._env, start_new_session=True, cwd=os.getcwd())

    def start(self) -> None:
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = self._spawn()
        if not self._watchdog.is_alive():
            self._watchdog.start()

    def health(self) -> dict[str, Any]:
        """For /api/health: cheap, from what this object already knows."""
        with self._lock:
            spare = self._spare is not None and self._spare.poll() is None
            return {"ok": not self._closed, "running": len(self._running), "queued": len(self._queue),
                    "spare_ready": spare, "memory_limit_mb": self.memory_limit_mb}

    def _refill(self) -> None:
        spare = self._spawn()
        with self._lock:
            if self._closed or self._spare is not None:
                _stdin_of(spare).close()
                spare.terminate()
                return
            self._spare = spare

    def launch(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            if len(self._running) >= self.max_concurrent:
                self._queue.append((run_id, job))
                return
            self._running[run_id] = None  # reserve the slot before leaving the lock
        self._start(run_id, job)

    def _limit_of(self, job: dict[str, Any]) -> int:
        workflow = job.get("workflow") or {}
        return int(workflow.get("memory_mb") or self.memory_limit_mb)

    def queued(self) -> list[str]:
        with self._lock:
            return [run_id for run_id, _ in self._queue]

    def _start(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            process, self._spare = self._spare, None
            if process is None or process.poll() is not None:
                process = self._spawn()
            self._running[run_id] = process
            self._limits[run_id] = self._limit_of(job)
            cancelled_while_starting = run_id in self._cancelled
        try:
            if not cancelled_while_starting:  # else an empty job: the worker exits at once
                _stdin_of(process).write(orjson.dumps({**job, "run_id": run_id}) + b"\n")
            _stdin_of(process).close()
        except OSError:  # the worker died before taking the job: the watcher reports it
            log.warning("worker %s for run %s died before taking its job", process.pid, run_id)
        threading.Thread(target=self._refill, name="wirework-spare", daemon=True).start()
        threading.Thread(target=self._watch, args=(run_id, process), name=f"wirework-watch-{run_id[:8]}",
                         daemon=True).start()

    def _watch(self, run_id: str, process: subprocess.Popen) -> None:
        returncode = process.wait()
        # What the run left behind in its process group (a worker that exited on its own
        # has already killed the rest of its tree, engine/execution/worker.py).
        _kill_group(process, signal.SIGKILL)
        with self._lock:
            self._running.pop(run_id, None)
            self._limits.pop(run_id, None)
            over_limit = self._over_limit.pop(run_id, None)
            cancelled = run_id in self._cancelled and over_limit is None
            self._cancelled.discard(run_id)
            following = None
            if self._queue and not self._closed:
                following = self._queue.popleft()
                self._running[following[0]] = None
        try:
            self._on_exit(WorkerExit(run_id, returncode, cancelled, memory_limit_mb=over_limit))
        except Exception:
            log.exception("handling the end of run %s failed", run_id)
        if following is not None:
            self._start(*following)

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
                           if process is not None and run_id not in self._over_limit]
            for run_id, process, limit_mb in watched:
                try:
                    rss = process_tree.tree_rss_bytes(process.pid)
                except OSError:
                    continue
                if rss > limit_mb * 1024 * 1024 and process.returncode is None:
                    with self._lock:
                        self._over_limit[run_id] = limit_mb
                    log.warning("run %s reached its memory limit of %d MB (%d MB resident): killing it",
                                run_id, limit_mb, rss // (1024 * 1024))
                    process_tree.kill_tree(process.pid)
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
            _kill_group(process, signal.SIGTERM)
            timer = threading.Timer(CANCEL_GRACE_S, _kill_tree_if_alive, args=(process,))
            timer.daemon = True
            timer.start()
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            self._queue.clear()  # still "queued" in the app database: settled at the next start
            processes = [p for p in self._running.values() if p is not None]
            spare, self._spare = self._spare, None
        if spare is not None:
            try:
                _stdin_of(spare).close()
            except OSError:
                pass
            processes.append(spare)
        for process in processes:
            _kill_group(process, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(SHUTDOWN_GRACE_S)
            except subprocess.TimeoutExpired:
                process_tree.kill_tree(process.pid)
                process.wait()


def _stdin_of(process: subprocess.Popen) -> IO[bytes]:
    if process.stdin is None:  # every worker is spawned with stdin=PIPE
        raise RuntimeError(f"worker {process.pid} has no stdin pipe")
    return process.stdin


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_tree_if_alive(process: subprocess.Popen) -> None:
    """The end of a cancel's grace: whatever of the run is still there goes, tree and all."""
    # returncode, not poll(): the watcher thread is in wait(), and poll() cannot take its
    # lock; the pid stays ours (unreaped) until that wait() returns and sets returncode.
    if process.returncode is None:
        process_tree.kill_tree(process.pid)
