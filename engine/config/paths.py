"""Where wirework keeps its files: `$WIREWORK_HOME`, else `.wirework/` in the working directory."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    home = Path(os.environ.get("WIREWORK_HOME") or Path.cwd() / ".wirework").resolve()
    # Owner only when we create it: keys, databases and the API token live here.
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def app_db_path() -> Path:
    return data_home() / "app.duckdb"


def sample_flows_dir() -> Path:
    """The sample workflows shipped with wirework (`flows/` next to the packages): found
    from the code's location, so `wirework up` imports them from any working directory."""
    return Path(__file__).resolve().parents[2] / "flows"


RUN_DATA_DIR = "run-data"


def run_data_dir(home: Path, run_id: str) -> Path:
    """Where one run's data files live (`run-data/<run id>/` in the data folder): every
    node's output (issue 16, engine/model/run_data_files.py); the history pruner
    (engine/server/services/history_pruner.py) is the one place that deletes it."""
    return home / RUN_DATA_DIR / run_id
