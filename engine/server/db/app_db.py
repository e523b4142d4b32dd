"""The app database: run history (runs and per-node results) in one DuckDB file.

DuckDB allows one writer per file, so exactly one process owns this file: the API
server when it runs, otherwise the CLI process running a flow. Writes are serialised
with a lock because node tasks report from Prefect's worker threads.

`AppDatabase` owns the connection and the run tables; the other tables have their owners
next to it in this package (workflows.py, demo_tables.py) and the schema is schema.py.
Callers outside engine/server/db/ use the named methods; `_execute` is this package's.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import duckdb
import orjson

from engine.model.runs import NodeResult, RunInfo
from engine.model.statuses import ACTIVE_RUN_STATUSES, NodeStatus, RunStatus
from engine.server.db.schema import APP_SCHEMA

_NODE_COLUMNS = ["run_id", "node_id", "status", "attempts", "started_at", "ended_at",
                 "records_in", "records_out", "sample", "logs", "error"]
_RUN_COLUMNS = ["id", "workflow_id", "workflow_version", "trigger", "status", "started_at",
                "ended_at", "error", "prefect_flow_run_id", "retry_of", "attempt", "inputs", "reuse_from",
                "start_at", "only_node", "worker"]


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value, default=str).decode()


class AppDatabase:
    """Run history store; also a `RunObserver`, so a run can write to it directly."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One DuckDB thread: this file's statements are small (a run's row, its nodes' rows),
        # and handing each to a pool of threads cost more than it ran — measured at load
        # ~10 on 2 cores, an update plus a lookup by id took 2.7 ms with the default
        # threads and 1.0 ms with one (CPU 1.1 → 0.6 ms); a run makes ~20 of them.
        self._con = duckdb.connect(str(self.path), config={"threads": 1})
        # Re-entrant: statements inside `transaction()` take it again.
        self._lock = threading.RLock()
        self._in_transaction = False
        with self._lock:
            self._con.execute(APP_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _execute(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Run one statement; for the table owners in engine/server/db/ only."""
        with self._lock:
            return self._con.execute(sql, params or []).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The statements inside commit together (or not at all): one commit — one WAL
        sync — for a run's batch of events or a queued run's rows, instead of one each."""
        with self._lock:
            if self._in_transaction:  # nested: part of the outer one
                yield
                return
            self._con.execute("BEGIN TRANSACTION")
            self._in_transaction = True
            try:
                yield
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            else:
                self._con.execute("COMMIT")
            finally:
                self._in_transaction = False

    def checkpoint(self) -> None:
        """Write the WAL into the database file (e.g. before reading the file itself)."""
        self._execute("CHECKPOINT")

    # -- RunObserver -------------------------------------------------------------
    def run_started(self, info: RunInfo) -> None:
        self._insert_run(info, RunStatus.RUNNING)

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        self._execute(
            "UPDATE node_runs SET status = ?, attempts = ?, records_in = ?,"
            " started_at = coalesce(started_at, ?) WHERE run_id = ? AND node_id = ?",
            [NodeStatus.RUNNING, attempt, records_in, at, run_id, node_id],
        )

    def node_finished(self, result: NodeResult) -> None:
        # No sample: every record a node put out is in the run's data folder (issue 16), so
        # this file keeps metadata only. The `sample` column stays for rows of older runs.
        # The node's row exists (the run's start wrote it): an UPDATE, not an upsert (see _insert_run_rows).
        values = [result.status, result.attempts, result.started_at, result.ended_at, result.records_in,
                  result.records_out, None, result.logs, _json(result.error)]
        updated = self._execute(
            "UPDATE node_runs SET status = ?, attempts = ?, started_at = ?, ended_at = ?, records_in = ?,"
            " records_out = ?, sample = ?, logs = ?, error = ? WHERE run_id = ? AND node_id = ?",
            [*values, result.run_id, result.node_id])
        if not (updated and updated[0][0]):
            self._execute("INSERT INTO node_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          [result.run_id, result.node_id, *values])

    def run_finished(self, run_id: str, status: RunStatus, error: str | None, at: datetime) -> None:
        self._execute("UPDATE runs SET status = ?, error = ?, ended_at = ? WHERE id = ?",
                      [RunStatus(status), error, at, run_id])

    # -- the server's side of a run ----------------------------------------------------
    def queue_run(self, info: RunInfo, retry_of: str | None = None, attempt: int = 1,
                  partial: tuple[str | None, str | None, str | None] | None = None) -> None:
        """A run waiting for its worker: `queued`, every node `pending`; a retry of a
        crashed run names the run it retries and its attempt (services/crash_retry.py); a
        partial run (reuse_from, start_at, only) the run it reuses and where it starts."""
        # A queued run's id is new (a uuid4 of RunService), so its rows are plain INSERTs, the
        # nodes' in one statement: ~4 ms of the webhook's ~7 in DuckDB, instead of an UPDATE
        # that finds nothing and an INSERT per node.
        names = ["id", "workflow_id", "workflow_version", "trigger", "status", "started_at", "prefect_flow_run_id",
                 "retry_of", "attempt"]
        values: list[Any] = [info.run_id, info.workflow_id, info.workflow_version, _json(info.trigger),
                             RunStatus.QUEUED, info.started_at, info.prefect_flow_run_id, retry_of, attempt]
        if info.inputs is not None:
            names, values = [*names, "inputs"], [*values, _json(info.inputs)]
        if partial is not None:
            names, values = [*names, "reuse_from", "start_at", "only_node"], [*values, *partial]
        with self.transaction():
            self._execute(f"INSERT INTO runs ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})", values)
            if info.node_ids:
                self._execute("INSERT INTO node_runs (run_id, node_id, status) VALUES "
                              + ", ".join("(?, ?, ?)" for _ in info.node_ids),
                              [value for node_id in info.node_ids for value in (info.run_id, node_id, NodeStatus.PENDING)])

    def mark_cancelling(self, run_id: str) -> None:
        """A run the user asked to stop: `cancelling` until its end is reported or settled."""
        active = sorted({RunStatus.QUEUED, RunStatus.RUNNING})
        self._execute(f"UPDATE runs SET status = ? WHERE id = ? AND status IN ({', '.join('?' for _ in active)})",
                      [RunStatus.CANCELLING, run_id, *active])

    def set_prefect_flow_run(self, run_id: str, flow_run_id: str) -> None:
        """The Prefect flow run of a run whose worker created it after the run started."""
        self._execute("UPDATE runs SET prefect_flow_run_id = ? WHERE id = ?", [flow_run_id, run_id])

    def set_run_worker(self, run_id: str, worker: dict[str, Any]) -> None:
        """The remote worker that took the run (services/work_pool_runs.py)."""
        self._execute("UPDATE runs SET worker = ? WHERE id = ?", [_json(worker), run_id])

    def end_node(self, run_id: str, node_id: str, status: NodeStatus, at: datetime | None) -> None:
        """Set the final status of a node whose worker never reported it (see RunService.settle)."""
        self._execute("UPDATE node_runs SET status = ?, ended_at = ? WHERE run_id = ? AND node_id = ?",
                      [NodeStatus(status), at, run_id, node_id])

    def active_run_ids(self) -> list[str]:
        """Runs queued or running, as far as this file knows."""
        active = sorted(ACTIVE_RUN_STATUSES)
        rows = self._execute(f"SELECT id FROM runs WHERE status IN ({', '.join('?' for _ in active)})", active)
        return [run_id for (run_id,) in rows]

    def runs_without_flow_run(self, ended_since: datetime) -> list[str]:
        """Runs not (yet) in Prefect as far as this file knows — no flow run id — still active
        or ended since `ended_since`, oldest first (services/prefect_writer.py recovers them)."""
        active = sorted(ACTIVE_RUN_STATUSES)
        rows = self._execute(
            "SELECT id FROM runs WHERE prefect_flow_run_id IS NULL AND"
            f" (status IN ({', '.join('?' for _ in active)}) OR ended_at >= ?) ORDER BY started_at",
            [*active, ended_since])
        return [run_id for (run_id,) in rows]

    def scheduled_runs_since(self, ended_since: datetime) -> list[tuple[str, str]]:
        """(run id, flow run id) of scheduled runs — whose flow run Prefect's scheduler made —
        still active or ended since `ended_since`, oldest first (services/prefect_writer.py
        recovers those whose record Prefect may not have)."""
        active = sorted(ACTIVE_RUN_STATUSES)
        rows = self._execute(
            "SELECT id, prefect_flow_run_id FROM runs WHERE prefect_flow_run_id IS NOT NULL"
            " AND json_extract_string(trigger, '$.trigger') = 'schedule' AND"
            f" (status IN ({', '.join('?' for _ in active)}) OR ended_at >= ?) ORDER BY started_at",
            [*active, ended_since])
        return [(run_id, flow_run_id) for run_id, flow_run_id in rows]

    def _insert_run(self, info: RunInfo, status: RunStatus, retry: tuple[str | None, int] | None = None) -> None:
        # Without `retry` (a worker's run_started) the row's retry_of and attempt stay as
        # queued: only the columns named are set.
        retry_columns, retry_values = (", retry_of, attempt", [*retry]) if retry is not None else ("", [])
        if info.inputs is not None:
            retry_columns, retry_values = retry_columns + ", inputs", [*retry_values, _json(info.inputs)]
        with self.transaction():
            self._insert_run_rows(info, status, retry_columns, retry_values)

    def _insert_run_rows(self, info: RunInfo, status: RunStatus, retry_columns: str, retry_values: list) -> None:
        # An UPDATE of the queued row, else INSERTs — not DuckDB's INSERT OR REPLACE, whose
        # upsert cost ~10 ms CPU and ~80 ms of wall time more per run (measured at load ~11:
        # 116 ms vs 33 ms for a run's row and three node rows in one transaction), twice per
        # run (queued, then started).
        names = ["workflow_id", "workflow_version", "trigger", "status", "started_at", "prefect_flow_run_id",
                 *[name.strip() for name in retry_columns.split(",") if name.strip()]]
        values = [info.workflow_id, info.workflow_version, _json(info.trigger), status, info.started_at,
                  info.prefect_flow_run_id, *retry_values]
        # A run process that names no flow run keeps the one the row has (a scheduled run's,
        # made by Prefect's scheduler; a run-now run's, made by the API's writer).
        assignments = [f"{name} = COALESCE(?, {name})" if name == "prefect_flow_run_id" else f"{name} = ?"
                       for name in names]
        updated = self._execute(f"UPDATE runs SET {', '.join(assignments)} WHERE id = ?", [*values, info.run_id])
        if updated and updated[0][0]:
            existing = {node_id for (node_id,) in self._execute(
                "SELECT node_id FROM node_runs WHERE run_id = ?", [info.run_id])}
            self._execute("UPDATE node_runs SET status = ? WHERE run_id = ? AND status <> ?",
                          [NodeStatus.PENDING, info.run_id, NodeStatus.PENDING])
        else:
            existing = set()
            self._execute(f"INSERT INTO runs (id, {', '.join(names)}) VALUES (?{', ?' * len(names)})",
                          [info.run_id, *values])
        for node_id in info.node_ids:
            if node_id not in existing:
                self._execute("INSERT INTO node_runs (run_id, node_id, status) VALUES (?, ?, ?)",
                              [info.run_id, node_id, NodeStatus.PENDING])

    # -- queries -----------------------------------------------------------------
    def list_runs(self, workflow_id: str | None = None, status: RunStatus | None = None,
                  limit: int = 50) -> list[dict]:
        where, params = [], []
        if workflow_id:
            where.append("workflow_id = ?")
            params.append(workflow_id)
        if status:
            where.append("status = ?")
            params.append(status)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._execute(
            f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs {clause} ORDER BY started_at DESC LIMIT ?", [*params, limit]
        )
        return [self._run_row(row) for row in rows]

    def run_status(self, run_id: str) -> str | None:
        """A run's status alone (None: no such run), without reading its nodes."""
        rows = self._execute("SELECT status FROM runs WHERE id = ?", [run_id])
        return rows[0][0] if rows else None

    def get_run(self, run_id: str) -> dict | None:
        rows = self._execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE id = ?", [run_id])
        if not rows:
            return None
        run = self._run_row(rows[0])
        node_rows = self._execute(
            f"SELECT {', '.join(_NODE_COLUMNS)} FROM node_runs WHERE run_id = ? ORDER BY started_at NULLS LAST, node_id",
            [run_id],
        )
        run["nodes"] = [self._node_row(row) for row in node_rows]
        return run

    @staticmethod
    def _run_row(row: tuple) -> dict:
        run = dict(zip(_RUN_COLUMNS, row))
        run["trigger"] = orjson.loads(run["trigger"]) if run["trigger"] else None
        run["attempt"] = run["attempt"] or 1  # rows of a file made before retries were recorded
        run["inputs"] = orjson.loads(run["inputs"]) if run["inputs"] else None
        run["only"] = run.pop("only_node")
        run["worker"] = orjson.loads(run["worker"]) if run["worker"] else None
        return run

    @staticmethod
    def _node_row(row: tuple) -> dict:
        node = dict(zip(_NODE_COLUMNS, row))
        for key in ("sample", "error"):
            node[key] = orjson.loads(node[key]) if node[key] else None
        if node["started_at"] and node["ended_at"]:
            node["duration_s"] = (node["ended_at"] - node["started_at"]).total_seconds()
        else:
            node["duration_s"] = None
        return node
