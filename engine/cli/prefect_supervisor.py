"""Keeping the Prefect server that `wirework up` starts alive: start, health checks,
restart with backoff, a clean stop.

One supervisor thread spawns the server, waits for its health check, then checks it
every `CHECK_EVERY_S`. When the process dies (e.g. `kill -9`) — or stops answering
`UNHEALTHY_AFTER` checks in a row, which counts as dead and is killed — its process
group is killed (nothing of it may keep the port) and it is started again after a
backoff (1 s, doubling to 30 s; back to 1 s once a server has been healthy for a minute).

Every restart uses the **same port and the same auth string**: the API process, its
schedule loop and the run workers all got them once through their environment
(`PREFECT_API_URL`, `PREFECT_API_AUTH_STRING`), so they reach the new server with no
update. Runs started while Prefect is down wait for its health check in the worker
(engine/execution/worker.py) and then proceed; the schedule loop retries on its own.

The supervisor thread is the one that spawns, because the server's PDEATHSIG (it must
not outlive `wirework up` killed outright) is tied by Linux to the spawning *thread*,
and this one lives as long as the supervisor.

`health()` is what `/api/health` shows: the last check's result, never a new request.

The port is only free when it is chosen: another process may bind it before the server
does (CI runs many servers at once). A first start that fails while something else holds
the port moves to a fresh port, up to `PORT_ATTEMPTS` times; no client knows the port
yet, so `api_url` is read only after `wait_started()`.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx

from engine.cli.ports import port_is_free

log = logging.getLogger("wirework.prefect")

CHECK_EVERY_S = 1.0
CHECK_TIMEOUT_S = 5.0
UNHEALTHY_AFTER = 5  # failed checks in a row of a live process before it is restarted
PORT_ATTEMPTS = 5  # first starts tried on fresh ports when another process took the port
_MAX_BACKOFF_S = 30.0
_STABLE_S = 60.0


class PrefectSupervisor:
    def __init__(self, spawn: Callable[[int], subprocess.Popen], port: int, start_timeout_s: float,
                 fresh_port: Callable[[], int] | None = None):
        self._spawn = spawn  # starts `prefect server start` on the port it is given (engine/cli/up.py)
        self._fresh_port = fresh_port  # a port free now, for a first start whose port was taken
        self.port = port
        self.start_timeout_s = start_timeout_s
        self._process: subprocess.Popen | None = None
        self._healthy = threading.Event()
        self._first_start = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="prefect-supervisor", daemon=True)
        self.first_error: str | None = None
        self.restarts = 0
        self.last_exit: str | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def wait_started(self) -> str | None:
        """Block until the first start answered its health check; the error if it did not."""
        self._first_start.wait()
        return self.first_error

    def stop(self, grace_s: float = 10.0) -> None:
        self._stopping.set()
        process = self._process
        if process is not None:
            stop_process_group(process, grace_s)
        self._thread.join(grace_s + 5)

    # -- what /api/health shows --------------------------------------------------------------
    def alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def healthy(self) -> bool:
        return self._healthy.is_set()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def health(self) -> dict[str, Any]:
        return {"ok": self.healthy(), "pid": self.pid, "restarts": self.restarts, "last_exit": self.last_exit}

    # -- the supervisor thread -----------------------------------------------------------
    def _supervise(self) -> None:
        backoff = 1.0
        port_attempts = 1
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                self._process = self._spawn(self.port)
            except OSError as exc:
                if self._fail_first(f"the Prefect server could not be started: {exc}"):
                    return
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            why = self._run_until_down(self._process)
            self._healthy.clear()
            _kill_group(self._process)  # also whatever it started: the port must be free again
            if self._stopping.is_set():
                return
            if not self._first_start.is_set():
                if self._fresh_port is not None and port_attempts < PORT_ATTEMPTS and not port_is_free("127.0.0.1", self.port):
                    taken, self.port = self.port, self._fresh_port()
                    port_attempts += 1
                    log.warning("port %d was taken by another process; starting the Prefect server on %d",
                                taken, self.port)
                    continue
                self._fail_first(f"the Prefect server {why} while starting")
                return
            if time.monotonic() - started > _STABLE_S:
                backoff = 1.0
            self.restarts += 1
            self.last_exit = why
            log.warning("the Prefect server %s; restarting it in %.0f s (restart %d, same port %d)",
                        why, backoff, self.restarts, self.port)
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_S)

    def _fail_first(self, error: str) -> bool:
        """At the first start a failure ends `wirework up` (True); later ones are retried."""
        if self._first_start.is_set():
            return False
        self.first_error = error
        self._first_start.set()
        return True

    def _run_until_down(self, process: subprocess.Popen) -> str:
        """Watch one server process until it exits or hangs; why it went down."""
        deadline = time.monotonic() + self.start_timeout_s
        failures = 0
        with httpx.Client(timeout=CHECK_TIMEOUT_S) as client:
            while not self._stopping.is_set():
                code = process.poll()
                if code is not None:
                    return f"exited with code {code}" if code >= 0 else f"was killed by signal {-code}"
                ok = self._check(client)
                if ok:
                    failures = 0
                    if not self._healthy.is_set():
                        if self._first_start.is_set():
                            log.warning("the Prefect server is back (pid %d)", process.pid)
                        self._healthy.set()
                        self._first_start.set()
                elif self._healthy.is_set():
                    failures += 1
                    if failures >= UNHEALTHY_AFTER:
                        return f"did not answer {failures} health checks in a row"
                elif time.monotonic() > deadline:
                    return f"did not become healthy within {self.start_timeout_s:.0f} s"
                self._stopping.wait(CHECK_EVERY_S if self._healthy.is_set() else 0.3)
        return "was stopped"

    def _check(self, client: httpx.Client) -> bool:
        try:
            return client.get(f"{self.api_url}/health").status_code == 200
        except httpx.HTTPError:
            return False


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def stop_process_group(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM to the process's group, SIGKILL after `grace_s`; the group is killed even when
    its leader already exited (what it started must not keep the port)."""
    if process.poll() is not None:
        _kill_group(process)
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
