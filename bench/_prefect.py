"""A throw-away local Prefect server for benchmarks (the same kind `wirework up` starts)."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def local_prefect_server() -> Iterator[str]:
    home = Path(tempfile.mkdtemp(prefix="wirework-bench-"))
    os.environ["WIREWORK_HOME"] = str(home)
    from engine.config.prefect_env import configure_prefect_env
    from engine.cli.prefect_supervisor import stop_process_group
    from engine.cli.ports import free_port
    from engine.cli.up import start_prefect_server, wait_healthy

    configure_prefect_env()
    port = free_port()
    auth_string = f"bench:{secrets.token_urlsafe(16)}"
    process = start_prefect_server(port, home / "prefect-server.log", auth_string)
    os.environ["PREFECT_API_AUTH_STRING"] = auth_string
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(f"{url}/health", process, 180, "the Prefect server")
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        stop_process_group(process, 10.0)
