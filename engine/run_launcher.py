"""Starting, cancelling and watching flow-run worker processes (lives in the API process).

One warm spare worker is always waiting (see engine/worker.py); a run takes it and a
new spare starts in the background. A watcher thread per run notices when its process
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
from dataclasses import dataclass
from typing import Any, Callable

import orjson

from .worker import API_URL_ENV, TOKEN_ENV

log = logging.getLogger("wirework.launcher")
CANCEL_GRACE_S = 5.0


@dataclass
class WorkerExit:
    run_id: str
    returncode: int
    cancelled: bool


class RunLauncher:
    def __init__(self, api_url: str, internal_token: str, env: dict[str, str],
                 on_exit: Callable[[WorkerExit], None]):
        self._env = {**env, API_URL_ENV: api_url, TOKEN_ENV: internal_token}
        self._on_exit = on_exit
        self._lock = threading.Lock()
        self._spare: subprocess.Popen | None = None
        self._running: dict[str, subprocess.Popen] = {}
        self._cancelled: set[str] = set()
        self._closed = False

    def _spawn(self) -> subprocess.Popen:
        # A new session: cancelling kills the worker *and* anything user code started.
        return subprocess.Popen([sys.executable, "-m", "engine.worker"], stdin=subprocess.PIPE,
                                env=self._env, start_new_session=True, cwd=os.getcwd())

    def start(self) -> None:
        with self._lock:
            if self._spare is None and not self._closed:
                self._spare = self._spawn()

    def _refill(self) -> None:
        spare = self._spawn()
        with self._lock:
            if self._closed or self._spare is not None:
                spare.stdin.close()
                spare.terminate()
                return
            self._spare = spare

    def launch(self, run_id: str, job: dict[str, Any]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            process, self._spare = self._spare, None
            if process is None or process.poll() is not None:
                process = self._spawn()
            self._running[run_id] = process
        process.stdin.write(orjson.dumps({**job, "run_id": run_id}) + b"\n")
        process.stdin.close()
        threading.Thread(target=self._refill, name="wirework-spare", daemon=True).start()
        threading.Thread(target=self._watch, args=(run_id, process), name=f"wirework-watch-{run_id[:8]}",
                         daemon=True).start()

    def _watch(self, run_id: str, process: subprocess.Popen) -> None:
        returncode = process.wait()
        with self._lock:
            self._running.pop(run_id, None)
            cancelled = run_id in self._cancelled
            self._cancelled.discard(run_id)
        try:
            self._on_exit(WorkerExit(run_id, returncode, cancelled))
        except Exception:
            log.exception("handling the end of run %s failed", run_id)

    def is_running(self, run_id: str) -> bool:
        with self._lock:
            return run_id in self._running

    def pid_of(self, run_id: str) -> int | None:
        with self._lock:
            process = self._running.get(run_id)
            return process.pid if process else None

    def cancel(self, run_id: str) -> bool:
        with self._lock:
            process = self._running.get(run_id)
            if process is None:
                return False
            self._cancelled.add(run_id)
        _terminate_group(process, CANCEL_GRACE_S)
        return True

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            processes = list(self._running.values())
            spare, self._spare = self._spare, None
        if spare is not None:
            try:
                spare.stdin.close()
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
