"""Starting, cancelling and watching flow-run worker processes (lives in the API process).

One warm spare worker is always waiting (see engine/worker.py); a run takes it and a
new spare starts in the background. At most `max_concurrent` runs execute at once (a
burst of webhooks must not fork-bomb a 2-core machine); the others wait, in order, with
status "queued". A watcher thread per run notices when its process
ends: a process that ended without reporting the end of its run is reported as
crashed (or cancelled, if we killed it on request) — a run is never left "running".
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass
from typing import IO, Any, Callable

import orjson

from engine.execution.worker import API_URL_ENV

log = logging.getLogger("wirework.launcher")
CANCEL_GRACE_S = 5.0


@dataclass
class WorkerExit:
    run_id: str
    returncode: int
    cancelled: bool


class RunLauncher:
    def __init__(self, api_url: str, env: dict[str, str],
                 on_exit: Callable[[WorkerExit], None], max_concurrent: int = 4,
                 wrap_command: Callable[[list[str]], list[str]] = lambda argv: argv):
        self._env = {**env, API_URL_ENV: api_url}
        self._command = wrap_command([sys.executable, "-m", "engine.execution.worker"])  # e.g. inside a sandbox
        self._on_exit = on_exit
        self.max_concurrent = max(1, max_concurrent)
        self._lock = threading.Lock()
        self._spare: subprocess.Popen | None = None
        self._running: dict[str, subprocess.Popen | None] = {}  # None: reserved, starting
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._cancelled: set[str] = set()
        self._closed = False

    def _spawn(self) -> subprocess.Popen:
        # A new session: cancelling kills the worker *and* anything user code started.
        return subprocess.Popen(self._command, stdin=subprocess.PIPE,
                                env=self._env, start_new_session=True, cwd=os.getcwd())

    def start(self) -> None:
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = self._spawn()

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

    def queued(self) -> list[str]:
        with self._lock:
            return [run_id for run_id, _ in self._queue]

    def _start(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            process, self._spare = self._spare, None
            if process is None or process.poll() is not None:
                process = self._spawn()
            self._running[run_id] = process
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
        with self._lock:
            self._running.pop(run_id, None)
            cancelled = run_id in self._cancelled
            self._cancelled.discard(run_id)
            following = None
            if self._queue and not self._closed:
                following = self._queue.popleft()
                self._running[following[0]] = None
        try:
            self._on_exit(WorkerExit(run_id, returncode, cancelled))
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

    def cancel(self, run_id: str) -> bool:
        """Stop a running run (its process group) or drop a queued one; False if unknown."""
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
            _terminate_group(process, CANCEL_GRACE_S)
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
            _terminate_group(process, CANCEL_GRACE_S, wait=False)
        for process in processes:
            try:
                process.wait(CANCEL_GRACE_S)
            except subprocess.TimeoutExpired:
                _kill_group(process, signal.SIGKILL)
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


def _terminate_group(process: subprocess.Popen, grace_s: float, wait: bool = True) -> None:
    _kill_group(process, signal.SIGTERM)
    if not wait:
        return
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        _kill_group(process, signal.SIGKILL)
