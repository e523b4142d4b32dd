"""Starting and stopping a real `wirework up` process for API tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PortTaken(RuntimeError):
    """Another process bound the port between choosing it and `wirework up` binding it."""


class ServerProcess:
    """`wirework up` in a subprocess; its output goes to a log file in the data folder."""

    def __init__(self, home: Path, prefect_api_url: str | None, port: int | None = None,
                 flows: Path | None = ROOT / "flows", extra_env: dict | None = None, cwd: Path = ROOT):
        self.home = home
        self._port_chosen_here = port is None  # a port picked here may be taken by a parallel test
        self.port = port or free_port()
        self.prefect_api_url = prefect_api_url
        self.flows = flows
        self.extra_env = extra_env or {}
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = home / "server.log"

    def start(self, timeout_s: float = 120.0, attempts: int = 3) -> "ServerProcess":
        for attempt in range(attempts):
            try:
                return self._start_once(timeout_s)
            except PortTaken:
                if not self._port_chosen_here or attempt == attempts - 1:
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise AssertionError("unreachable")

    def _start_once(self, timeout_s: float) -> "ServerProcess":
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        env.update({"WIREWORK_HOME": str(self.home), "PYTHONUNBUFFERED": "1", **self.extra_env})
        args = [sys.executable, "-m", "engine.cli", "up", "--port", str(self.port)]
        if self.prefect_api_url:
            args += ["--prefect-api-url", self.prefect_api_url]
        if self.flows is not None:
            args += ["--flows", str(self.flows)]
        self.home.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        log_start = len(self.log())
        self.process = subprocess.Popen(args, env=env, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._log.close()
                log = self.log()
                this_start = log[log_start:]
                if "is busy" in this_start or "address already in use" in this_start:
                    raise PortTaken(f"port {self.port}:\n{log}")
                raise RuntimeError(f"wirework up exited with {self.process.returncode}:\n{log}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"wirework up did not start in {timeout_s} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout_s: float = 30.0) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        finally:
            self._log.close()

    @property
    def token(self) -> str:
        """The server's API token, read from its data folder as every local client does."""
        from engine.server.security import read_api_token

        token = read_api_token(self.home)
        if token is None:
            raise RuntimeError(f"no api-token in {self.home}")
        return token

    def client(self, **kwargs) -> httpx.Client:
        """An API client authenticated with the server's token."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return httpx.Client(base_url=self.url, timeout=30, headers=headers, **kwargs)

    def anonymous_client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def wait_for_run(client: httpx.Client, run_id: str, timeout_s: float = 60.0,
                 done=("completed", "failed", "cancelled", "crashed")) -> dict:
    deadline = time.monotonic() + timeout_s
    run = {}
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run.get("status") in done:
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout_s} s: {run}")


def wait_until(predicate, timeout_s: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
