"""Starting a real `wirework worker` for tests, as on another machine: its own data folder
and working directory, and nothing of the server's but the API's URL and the worker token."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.server_harness import ROOT, wait_until

# The server's side of the environment: a remote worker's machine has none of it.
_SERVER_ENV = ("WIREWORK_HOME", "WIREWORK_API_TOKEN", "WIREWORK_WORKER_TOKEN", "PREFECT_API_URL",
               "PREFECT_API_AUTH_STRING", "PREFECT_HOME", "WIREWORK_LOCAL_WORKERS")


def worker_token(server_home: Path) -> str:
    from engine.server.worker_credential import read_worker_token

    token = read_worker_token(server_home)
    if token is None:
        raise RuntimeError(f"no worker-token in {server_home}")
    return token


class WorkerProcess:
    def __init__(self, home: Path, api_url: str, token: str, name: str, concurrency: int = 2):
        self.home, self.api_url, self.token, self.name, self.concurrency = home, api_url, token, name, concurrency
        self.process: subprocess.Popen | None = None
        self.log_path = home / "worker.log"

    def start(self) -> "WorkerProcess":
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in _SERVER_ENV}
        # The checkout's code (the worker's machine has wirework installed; here: this one).
        env.update({"WIREWORK_HOME": str(self.home), "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "worker", "--api", self.api_url, "--token", self.token,
             "--name", self.name, "--concurrency", str(self.concurrency)],
            env=env, cwd=self.home, stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(lambda: "takes runs of pool" in self.log() or self.process.poll() is not None, 60,
                   f"worker {self.name} to start")
        if self.process.poll() is not None:
            raise RuntimeError(f"worker {self.name} exited with {self.process.returncode}:\n{self.log()}")
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9: no goodbye to the server."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()

    def stop(self, timeout_s: float = 30.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def processes_mentioning(*texts: str) -> list[int]:
    """Pids whose command line contains every one of `texts` (e.g. `run_host` and the data
    folder its sandbox hides)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if all(text in cmdline for text in texts):
            found.append(int(entry.name))
    return found
