"""Prefect settings wirework applies before Prefect is imported.

Prefect keeps its database under the wirework data folder (never `~/.prefect`),
analytics and Prefect's own UI are off, and the ephemeral server (used when no
Prefect server is running) gets a start-up timeout that fits the 13–23 s measured here.
Prefect's logging is `prefect_logging.yml` next to this file: a run's flow/task-run
logs go to Prefect's API, not to the console (wirework records node failures itself).
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from engine.config.paths import data_home


def configure_prefect_env(environ: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    env = os.environ if environ is None else environ
    home = data_home()
    env.setdefault("PREFECT_HOME", str(home / "prefect"))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_UI_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    env.setdefault("PREFECT_LOGGING_SETTINGS_PATH", str(Path(__file__).with_name("prefect_logging.yml")))
    # Tasks exchange records in memory, never through Prefect's result storage.
    env.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
    return env
