"""A throw-away `wirework up` for benchmarks: its own data folder and Prefect server, the
console in `up.log` there, stopped with SIGTERM like a user's Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path, flows: Path | None = None, env: dict[str, str] | None = None,
                 timeout_s: float = 240.0, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """(process, base URL) of a healthy `wirework up` on free ports, data in `home`, run
    from the code in `root` (e.g. a `git worktree` of another commit, with PYTHONPATH
    pointing at it in `env`)."""
    port = free_port()
    environ = {**os.environ, "WIREWORK_HOME": str(home), **(env or {})}
    environ.pop("PREFECT_API_URL", None)
    log = open(home / "up.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "up", "--port", str(port),
                                "--prefect-port", str(free_port()), "--flows", str(flows or "/nonexistent")],
                               cwd=root, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"wirework up exited with {process.returncode}; see {home / 'up.log'}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"wirework up did not start within {timeout_s:.0f} s; see {home / 'up.log'}")


def stop_server(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
