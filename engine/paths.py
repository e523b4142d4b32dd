"""Where wirework keeps its files: `$WIREWORK_HOME`, else `.wirework/` in the working directory."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    home = Path(os.environ.get("WIREWORK_HOME") or Path.cwd() / ".wirework").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def app_db_path() -> Path:
    return data_home() / "app.duckdb"
