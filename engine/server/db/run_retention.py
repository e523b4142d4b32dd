"""Which run records the app database keeps, and how large it is.

The SQL half of history hygiene (issue 17 part 6): choosing the runs past their
workflow's last N or older than D days, deleting them and their node runs (with their
samples, logs and errors, which are most of the file), and the size figures. When and
how often, and the run data folders that go with a run, are the pruner's
(engine/server/services/history_pruner.py).

Rules, in one place:
- an active run (queued, running, cancelling) is never chosen;
- the newest run of each workflow is never chosen, whatever its age, so the workflows
  list still shows its last status;
- active runs count towards the last N (they are among the newest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.model.statuses import ACTIVE_RUN_STATUSES
from engine.server.db.app_db import AppDatabase

_ACTIVE = sorted(ACTIVE_RUN_STATUSES)
_NOT_ACTIVE = f"status NOT IN ({', '.join('?' for _ in _ACTIVE)})"
_BATCH = 5000


def runs_to_prune(db: AppDatabase, keep_per_workflow: int, older_than: datetime | None) -> list[str]:
    """Ids of finished runs beyond the newest `keep_per_workflow` of their workflow (0: no
    count limit) or that ended before `older_than` (None: no age limit)."""
    if keep_per_workflow <= 0 and older_than is None:
        return []
    rows = db._execute(
        "WITH ranked AS (SELECT id, status, coalesce(ended_at, started_at) AS finished, row_number() OVER ("
        "  PARTITION BY workflow_id ORDER BY started_at DESC, id DESC) AS rank FROM runs)"
        f" SELECT id FROM ranked WHERE {_NOT_ACTIVE} AND rank > 1"
        " AND ((? > 0 AND rank > ?) OR (CAST(? AS TIMESTAMPTZ) IS NOT NULL AND finished < ?))"
        " ORDER BY finished",
        [*_ACTIVE, keep_per_workflow, keep_per_workflow, older_than, older_than])
    return [run_id for (run_id,) in rows]


@dataclass
class Deleted:
    runs: int
    node_runs: int


def delete_runs(db: AppDatabase, run_ids: list[str]) -> Deleted:
    """Delete these runs (never an active one, checked again here) and every node run
    without its run — also those a late worker event left behind — then checkpoint, so
    the freed blocks are reused by the next writes instead of growing the file."""
    runs = 0
    for start in range(0, len(run_ids), _BATCH):  # a first prune of a large file holds the lock in short steps
        rows = db._execute(f"DELETE FROM runs WHERE id IN (SELECT unnest(?::VARCHAR[])) AND {_NOT_ACTIVE}"
                           " RETURNING id", [run_ids[start:start + _BATCH], *_ACTIVE])
        runs += len(rows)
    # Runs before node runs, and node runs by anti-join: a crash in between leaves only
    # orphans, which the next prune removes; a run is queued before its node runs exist.
    node_rows = db._execute("DELETE FROM node_runs WHERE run_id NOT IN (SELECT id FROM runs) RETURNING run_id")
    if runs or node_rows:
        db.checkpoint()
    return Deleted(runs=runs, node_runs=len(node_rows))


@dataclass
class HistorySize:
    file_bytes: int
    wal_bytes: int
    used_bytes: int  # blocks holding data (DuckDB reuses free ones before growing the file)
    free_bytes: int
    runs: int
    node_runs: int


def history_size(db: AppDatabase) -> HistorySize:
    path = Path(db.path)
    wal = path.with_name(path.name + ".wal")
    (block_size, used, free), = db._execute(
        "SELECT block_size, used_blocks, free_blocks FROM pragma_database_size() WHERE database_name = current_database()")
    (runs, node_runs), = db._execute("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM node_runs)")
    return HistorySize(file_bytes=_size(path), wal_bytes=_size(wal), used_bytes=int(used) * int(block_size),
                       free_bytes=int(free) * int(block_size), runs=int(runs), node_runs=int(node_runs))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
