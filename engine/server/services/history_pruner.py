"""History hygiene (issue 17 part 6): the server prunes old runs, so app.duckdb and the
run data folder do not grow without bound.

`RetentionPolicy` is what to keep, from the environment:
- `WIREWORK_KEEP_RUNS`: the last N runs of each workflow (default 200; 0: no count limit);
- `WIREWORK_KEEP_RUN_DAYS`: runs that ended within D days (default 30; 0: no age limit);
- `WIREWORK_PRUNE_EVERY_S`: how often the server prunes (default 3600 s; 0: only at start).
A run goes when it is beyond either limit; an active run and the newest run of each
workflow never go (the rules: engine/server/db/run_retention.py).

Prefect's own database keeps a flow run (task runs, logs) of every run as well; for the
Prefect server `wirework up` starts, Prefect's vacuum service deletes those past the same
age (`prefect_vacuum_env`; Prefect has no count rule, and its minimum is an hour).

`HistoryPruner` prunes once at start and then on that period, in a thread of the API
process (the owner of app.duckdb). It is the single place that deletes a run's data: its
rows (run, node runs with samples, logs and errors) and its folder under the data folder
(`engine.config.paths.run_data_dir`), which holds every node's output of the run (issue 16) —
the folder first, so a crash in between leaves a row without data, never data without
a row that could ever delete it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.config.paths import RUN_DATA_DIR, run_data_dir
from engine.model.runs import utcnow
from engine.server.db import run_retention
from engine.server.db.app_db import AppDatabase

log = logging.getLogger("wirework.history")
KEEP_RUNS_ENV = "WIREWORK_KEEP_RUNS"
KEEP_DAYS_ENV = "WIREWORK_KEEP_RUN_DAYS"
PRUNE_EVERY_ENV = "WIREWORK_PRUNE_EVERY_S"
# A run id that is safe as one path component (ours are uuid4s); anything else has no folder.
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def _number(environ: Any, name: str, default: float, what: str) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"{name}={raw!r}: give {what}, a number of 0 or more (0 turns the limit off)")
    return value


@dataclass(frozen=True)
class RetentionPolicy:
    keep_runs_per_workflow: int = 200
    keep_days: float = 30.0
    prune_every_s: float = 3600.0

    @classmethod
    def from_env(cls, environ: Any = None) -> "RetentionPolicy":
        """The policy from the environment; a bad value is refused at start, never ignored."""
        environ = os.environ if environ is None else environ
        return cls(keep_runs_per_workflow=int(_number(environ, KEEP_RUNS_ENV, cls.keep_runs_per_workflow,
                                                      "the runs to keep per workflow")),
                   keep_days=_number(environ, KEEP_DAYS_ENV, cls.keep_days, "the days to keep runs"),
                   prune_every_s=_number(environ, PRUNE_EVERY_ENV, cls.prune_every_s, "the seconds between prunes"))

    def cutoff(self, now: datetime) -> datetime | None:
        return now - timedelta(days=self.keep_days) if self.keep_days > 0 else None


def prefect_vacuum_env(policy: RetentionPolicy) -> dict[str, str]:
    """Settings of the Prefect server `wirework up` starts, so its database follows the
    same age rule (nothing when runs are kept at any age)."""
    if policy.keep_days <= 0:
        return {}
    return {"PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",  # events: Prefect's default
            # Prefect refuses a period of an hour or less.
            "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(max(3601, int(policy.keep_days * 86400)))}


@dataclass
class PruneReport:
    at: datetime
    runs_deleted: int
    node_runs_deleted: int
    run_data_folders_deleted: int
    took_s: float


class HistoryPruner:
    def __init__(self, db: AppDatabase, data_home: Path, policy: RetentionPolicy):
        self.db = db
        self.data_home = Path(data_home)
        self.policy = policy
        self.last: PruneReport | None = None
        self._prune_lock = threading.Lock()  # the timer and POST /api/storage/prune never overlap
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one pass -----------------------------------------------------------------------
    def prune(self, now: datetime | None = None) -> PruneReport:
        with self._prune_lock:
            started = time.monotonic()
            at = now or utcnow()
            run_ids = run_retention.runs_to_prune(self.db, self.policy.keep_runs_per_workflow,
                                                  self.policy.cutoff(at))
            folders = sum(self._delete_run_data(run_id) for run_id in run_ids)
            deleted = run_retention.delete_runs(self.db, run_ids)
            report = PruneReport(at=at, runs_deleted=deleted.runs, node_runs_deleted=deleted.node_runs,
                                 run_data_folders_deleted=folders, took_s=round(time.monotonic() - started, 3))
            self.last = report
        if deleted.runs or deleted.node_runs:
            log.info("history pruned: %d run(s), %d node run(s), %d run data folder(s) in %.2f s",
                     deleted.runs, deleted.node_runs, folders, report.took_s)
        return report

    def _delete_run_data(self, run_id: str) -> int:
        if not _RUN_ID.match(run_id):
            return 0
        folder = run_data_dir(self.data_home, run_id)
        if folder.parent != self.data_home / RUN_DATA_DIR or folder.is_symlink() or not folder.is_dir():
            return 0
        shutil.rmtree(folder, ignore_errors=True)
        return 1

    def run_data_bytes(self) -> int:
        return run_data_bytes(self.data_home)

    def last_report(self) -> dict[str, Any] | None:
        return asdict(self.last) if self.last is not None else None

    # -- on a schedule --------------------------------------------------------------------
    def start(self) -> None:
        """Prune now (in the thread: a large first prune must not hold up the server's
        start) and then every `prune_every_s`."""
        self._thread = threading.Thread(target=self._loop, name="wirework-history-pruner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.prune()
            except Exception as exc:  # a failed pass is retried on the next period, never fatal
                log.warning("pruning the run history failed: %s: %s", type(exc).__name__, exc)
            if self.policy.prune_every_s <= 0 or self._stop.wait(self.policy.prune_every_s):
                return


def run_data_bytes(data_home: Path) -> int:
    """The size of every run's data folder; a file hard-linked into several runs (the
    outputs a partial run reuses, services/run_data.py) counts once."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirs, files in os.walk(data_home / RUN_DATA_DIR):
        for name in files:
            try:
                stat = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_size
    return total
