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


@pytest.fixture(scope="session")
def prefect_api_url():
    """A real Prefect server (SQLite) started once per session by Prefect's own harness."""
    from prefect.settings import get_current_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield get_current_settings().api.url


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
