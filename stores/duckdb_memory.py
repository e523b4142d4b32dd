"""How much memory DuckDB may take in the process that owns the stores, and where it spills.

DuckDB's default `memory_limit` is 80% of the machine's RAM, per database: a 3,000,000-record
write grew the API process to 2 GB. With a bounded limit (`WIREWORK_DUCKDB_MEMORY_MB`,
default 256) and a `temp_directory` on disk in the data folder (`duckdb-tmp/`, emptied at
start), big joins, aggregates and inserts spill to that folder instead of growing the
process. What cannot spill (an operator that must hold its state) fails with
`StoreMemoryExceeded` naming the setting; nothing of that operation is written.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Mapping

MEMORY_ENV = "WIREWORK_DUCKDB_MEMORY_MB"
DEFAULT_MEMORY_MB = 256
TEMP_DIR = "duckdb-tmp"


def memory_mb(environ: Mapping[str, str] = os.environ) -> int:
    """The configured limit in MB; a value that is not a whole number ≥ 64 is refused
    rather than silently ignored (below that DuckDB cannot run a store's writes)."""
    raw = environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_MB
    try:
        mb = int(raw)
    except ValueError:
        mb = 0
    if mb < 64:
        raise ValueError(f"{MEMORY_ENV}={raw!r}: give DuckDB's memory limit in MB, a whole number of at least 64 "
                         f"(default {DEFAULT_MEMORY_MB})")
    return mb


def duckdb_config(data_dir: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str | bool | int | float | list[str]]:
    """The `duckdb.connect(config=...)` of a database in `data_dir`; empties its spill folder
    (files left there by a process that died mid-query belong to nobody)."""
    temp = data_dir / TEMP_DIR
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir(parents=True, exist_ok=True)
    return {"memory_limit": f"{memory_mb(environ)}MB", "temp_directory": str(temp)}
