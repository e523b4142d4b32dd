"""Shared fixtures: one real Prefect server for the whole session, a fresh data folder per test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_UI_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


HARNESS_ATTEMPTS = 3


@pytest.fixture(scope="session")
def prefect_api_url():
    """A real Prefect server (SQLite) started once per session by Prefect's own harness.

    The harness picks a free port, then starts its server on it; with two pytest workers
    starting servers side by side another process can take the port in between, and the
    harness's health check then fails with "connection reset by peer" (it only waits out
    connection refusals) — in CI that failed the session fixture, and with it 77 tests.
    A start that fails is stopped and tried again on a fresh port."""
    import warnings
    from contextlib import ExitStack

    import httpx
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import get_current_settings
    from prefect.testing.utilities import prefect_test_harness

    for attempt in range(1, HARNESS_ATTEMPTS + 1):
        stack = ExitStack()
        try:
            stack.enter_context(prefect_test_harness(server_startup_timeout=120))
        except (httpx.HTTPError, RuntimeError) as exc:
            failed = SubprocessASGIServer._instances.get(None)  # the harness registers its server there
            if failed is not None:
                failed.stop()  # its process, if it still runs, and its registration
            if attempt == HARNESS_ATTEMPTS:
                raise
            warnings.warn(f"Prefect's test harness failed to start its server ({type(exc).__name__}: {exc}); "
                          f"trying again on a fresh port ({attempt + 1} of {HARNESS_ATTEMPTS})")
            continue
        with stack:
            yield get_current_settings().api.url
        return


@pytest.fixture
def wirework_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("WIREWORK_HOME", str(home))
    return home


@pytest.fixture
def app_db(wirework_home):
    from engine.server.db.app_db import AppDatabase

    db = AppDatabase(wirework_home / "app.duckdb")
    yield db
    db.close()


@pytest.fixture
def cli_env(prefect_api_url, wirework_home) -> dict[str, str]:
    """Environment for a `wirework` subprocess that talks to the session's Prefect server."""
    env = dict(os.environ)
    env["PREFECT_API_URL"] = prefect_api_url
    env["WIREWORK_HOME"] = str(wirework_home)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def wirework_cmd() -> list[str]:
    return [sys.executable, "-m", "engine.cli"]


@pytest.fixture(scope="session")
def server(prefect_api_url, tmp_path_factory):
    """One real `wirework up` (API + run launcher + schedule loop) for the API tests."""
    from tests.server_harness import ServerProcess

    proc = ServerProcess(tmp_path_factory.mktemp("server-home"), prefect_api_url).start()
    yield proc
    proc.stop()


@pytest.fixture
def api(server):
    with server.client() as client:
        yield client
