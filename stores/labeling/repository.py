"""The labeling projects' DuckDB tables and every query on them.

Owns the schema and its migrations (projects, tasks with their settings, synced records, manual labels,
lookup lists, heuristics, cached embeddings, trained model versions) and parameterised SQL; bulk writes go through Arrow
tables, never row-by-row. One connection, used under a lock: DuckDB allows one writer
per file, and the service may be called from several threads of the owning process.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import duckdb
import numpy as np
import orjson
import pyarrow as pa

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    name VARCHAR PRIMARY KEY,
    store VARCHAR NOT NULL,
    embedding_model VARCHAR NOT NULL,
    synced_seq BIGINT NOT NULL DEFAULT 0,
    weak_supervision JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    project VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    labels JSON NOT NULL,
    text_fields JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, name)
);
CREATE TABLE IF NOT EXISTS records (
    project VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    data JSON NOT NULL,
    synced_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, id)
);
CREATE TABLE IF NOT EXISTS manual_labels (
    project VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    label VARCHAR NOT NULL,
    labeled_by VARCHAR NOT NULL,
    labeled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, task, record_id)
);
CREATE TABLE IF NOT EXISTS lookup_lists (
    project VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    terms JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, name)
);
CREATE TABLE IF NOT EXISTS heuristics (
    project VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    config JSON NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, task, name)
);
CREATE TABLE IF NOT EXISTS embeddings (
    project VARCHAR NOT NULL,
    record_id VARCHAR NOT NULL,
    fields_key VARCHAR NOT NULL,
    model VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (project, record_id, fields_key, model)
);
CREATE TABLE IF NOT EXISTS models (
    project VARCHAR NOT NULL,
    task VARCHAR NOT NULL,
    version INTEGER NOT NULL,
    trained_at TIMESTAMPTZ NOT NULL,
    manual_labels INTEGER NOT NULL,
    embedding_model VARCHAR NOT NULL,
    model JSON NOT NULL,
    PRIMARY KEY (project, task, version)
);
"""
# Columns added after the first release: databases created before get them with their default.
MIGRATIONS = """
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS min_confidence DOUBLE DEFAULT 0.0;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS retrain_after INTEGER DEFAULT 10;
"""
MODELS_KEPT = 20  # versions kept per task; older ones are deleted when a new one is stored
# Data migrations run once per database (recorded in schema_migrations, so a value a user
# sets later on purpose is never rewritten).
APPLIED_MIGRATIONS = "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL);"
# Before issue 14 every active learner was stored with {"min_confidence": 0.9, "c": 100}
# (the service filled both in; the editor never sent c): most records got no vote and C was
# fixed outside the cross-validated grid. Exactly that pair is the old default, so it moves
# to today's (vote everywhere, C by cross-validation); any other config was chosen and stays.
OLD_LEARNER_DEFAULTS = {"min_confidence": 0.9, "c": 100.0}
NEW_LEARNER_DEFAULTS = {"min_confidence": 0.0}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else value


def json_path(field: str) -> str:
    """A task's dotted field name as a JSON path, each key quoted (so "-", spaces and
    unicode in keys need no escaping rules of their own)."""
    return "$" + "".join("." + orjson.dumps(key).decode() for key in field.split("."))


class LabelingRepository:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = duckdb.connect(str(self.path))
        self._lock = threading.RLock()
        with self._lock:
            self._con.execute(SCHEMA)
            self._con.execute(MIGRATIONS)
            self._con.execute(APPLIED_MIGRATIONS)
            self._migrate_once("learner-defaults-issue-14", self._learner_defaults)

    def _migrate_once(self, name: str, migrate) -> None:
        if self._con.execute("SELECT 1 FROM schema_migrations WHERE name = ?", [name]).fetchall():
            return
        self._con.execute("BEGIN TRANSACTION")
        try:
            migrate()
            self._con.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, utcnow()])
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def _learner_defaults(self) -> None:
        rows = self._con.execute("SELECT project, task, name, config FROM heuristics "
                                 "WHERE kind = 'active_learner'").fetchall()
        for project, task, name, config in rows:
            if orjson.loads(config) == OLD_LEARNER_DEFAULTS:
                self._con.execute("UPDATE heuristics SET config = ?, updated_at = ? "
                                  "WHERE project = ? AND task = ? AND name = ?",
                                  [orjson.dumps(NEW_LEARNER_DEFAULTS).decode(), utcnow(), project, task, name])

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _all(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def _one(self, sql: str, params: list | tuple = ()) -> tuple | None:
        # fetchall, not fetchone: DuckDB keeps a half-read result open, which blocks a
        # later `register` on this connection.
        rows = self._all(sql, params)
        return rows[0] if rows else None

    def _run(self, sql: str, params: list | tuple = ()) -> None:
        with self._lock:
            self._con.execute(sql, params)

    # -- projects ---------------------------------------------------------------------
    def insert_project(self, name: str, store: str, model: str, weak_supervision: dict) -> None:
        self._run("INSERT INTO projects VALUES (?, ?, ?, 0, ?, ?)",
                  [name, store, model, orjson.dumps(weak_supervision).decode(), utcnow()])

    def project(self, name: str) -> dict[str, Any] | None:
        row = self._one("SELECT name, store, embedding_model, synced_seq, weak_supervision, created_at "
                        "FROM projects WHERE name = ?", [name])
        if row is None:
            return None
        return {"name": row[0], "store": row[1], "embedding_model": row[2], "synced_seq": row[3],
                "weak_supervision": orjson.loads(row[4]), "created_at": _iso(row[5])}

    def project_names(self) -> list[str]:
        return [r[0] for r in self._all("SELECT name FROM projects ORDER BY name")]

    def set_weak_supervision(self, name: str, settings: dict) -> None:
        self._run("UPDATE projects SET weak_supervision = ? WHERE name = ?", [orjson.dumps(settings).decode(), name])

    def delete_project(self, name: str) -> None:
        with self._lock:
            self._con.execute("BEGIN")
            try:
                for table in ("embeddings", "heuristics", "lookup_lists", "manual_labels", "records", "tasks",
                              "models"):
                    self._con.execute(f"DELETE FROM {table} WHERE project = ?", [name])  # table names are ours
                self._con.execute("DELETE FROM projects WHERE name = ?", [name])
                self._con.execute("COMMIT")
            except Exception:
                self._con.execute("ROLLBACK")
                raise

    # -- tasks ------------------------------------------------------------------------
    def insert_task(self, project: str, name: str, labels: list[str], text_fields: list[str],
                    min_confidence: float = 0.0, retrain_after: int = 10) -> None:
        self._run("INSERT INTO tasks (project, name, labels, text_fields, created_at, min_confidence, retrain_after) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [project, name, orjson.dumps(labels).decode(), orjson.dumps(text_fields).decode(), utcnow(),
                   float(min_confidence), int(retrain_after)])

    def tasks(self, project: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT name, labels, text_fields, created_at, min_confidence, retrain_after FROM tasks "
                         "WHERE project = ? ORDER BY created_at, name", [project])
        return [{"name": r[0], "labels": orjson.loads(r[1]), "text_fields": orjson.loads(r[2]),
                 "created_at": _iso(r[3]), "min_confidence": float(r[4] or 0.0),
                 "retrain_after": int(r[5] if r[5] is not None else 10)} for r in rows]

    def set_task_settings(self, project: str, name: str, min_confidence: float, retrain_after: int) -> None:
        self._run("UPDATE tasks SET min_confidence = ?, retrain_after = ? WHERE project = ? AND name = ?",
                  [float(min_confidence), int(retrain_after), project, name])

    def delete_task(self, project: str, name: str) -> None:
        with self._lock:
            for table in ("heuristics", "manual_labels", "models"):
                self._con.execute(f"DELETE FROM {table} WHERE project = ? AND task = ?", [project, name])
            self._con.execute("DELETE FROM tasks WHERE project = ? AND name = ?", [project, name])

    # -- records ----------------------------------------------------------------------
    def upsert_records(self, project: str, records: list[dict[str, Any]], synced_seq: int) -> dict[str, int]:
        """Insert or replace synced records and advance the project's seq, in one transaction."""
        table = pa.table({
            "project": pa.array([project] * len(records), pa.string()),
            "id": pa.array([str(r["id"]) for r in records], pa.string()),
            "data": pa.array([orjson.dumps(r, default=str).decode() for r in records], pa.string()),
        })
        with self._lock:
            con = self._con
            con.execute("BEGIN")
            try:
                con.register("incoming_records", table)
                existing = con.execute(
                    "SELECT count(*) FROM records r JOIN incoming_records i ON r.project = i.project AND r.id = i.id"
                ).fetchall()[0][0]
                con.execute("INSERT OR REPLACE INTO records SELECT project, id, data::JSON, ? FROM incoming_records",
                            [utcnow()])
                con.execute("UPDATE projects SET synced_seq = ? WHERE name = ?", [synced_seq, project])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            finally:
                con.unregister("incoming_records")
        return {"added": len(records) - existing, "updated": existing}

    def set_synced_seq(self, project: str, seq: int) -> None:
        self._run("UPDATE projects SET synced_seq = ? WHERE name = ?", [seq, project])

    def records(self, project: str, limit: int | None = None, offset: int = 0,
                ids: list[str] | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT data FROM records WHERE project = ?", list[Any]([project])
        if ids is not None:
            sql += " AND list_contains(?, id)"
            params.append(ids)
        sql += " ORDER BY synced_at, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [orjson.loads(r[0]) for r in self._all(sql, params)]

    def count_records(self, project: str) -> int:
        row = self._one("SELECT count(*) FROM records WHERE project = ?", [project])
        return row[0] if row else 0  # count(*) always answers one row

    # -- manual labels ----------------------------------------------------------------
    def set_label(self, project: str, task: str, record_id: str, label: str, user: str) -> str:
        at = utcnow()
        self._run("INSERT OR REPLACE INTO manual_labels VALUES (?, ?, ?, ?, ?, ?)",
                  [project, task, record_id, label, user, at])
        return at.isoformat()

    def set_labels(self, project: str, task: str, labels: dict[str, str], user: str) -> str:
        """Many manual labels ({record id: label}) in one statement (one row at a time costs ~6 ms each)."""
        at = utcnow()
        if labels:
            self._run("INSERT OR REPLACE INTO manual_labels SELECT ?, ?, unnest(?), unnest(?), ?, ?",
                      [project, task, list(labels), list(labels.values()), user, at])
        return at.isoformat()

    def apply_labels(self, project: str, task: str, labels: dict[str, str], removals: list[str],
                     user: str) -> tuple[int, str]:
        """Set `labels` ({record id: label}) and remove the manual labels of `removals`, in
        one transaction; answers (labels removed, when). Ids travel as lists, never in SQL."""
        at = utcnow()
        with self._lock:
            con = self._con
            con.execute("BEGIN")
            try:
                removed = 0
                if removals:
                    removed = con.execute(
                        "SELECT count(*) FROM manual_labels WHERE project = ? AND task = ? "
                        "AND record_id IN (SELECT unnest(?))", [project, task, removals]).fetchall()[0][0]
                    con.execute("DELETE FROM manual_labels WHERE project = ? AND task = ? "
                                "AND record_id IN (SELECT unnest(?))", [project, task, removals])
                if labels:
                    con.execute("INSERT OR REPLACE INTO manual_labels SELECT ?, ?, unnest(?), unnest(?), ?, ?",
                                [project, task, list(labels), list(labels.values()), user, at])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return removed, at.isoformat()

    def existing_record_ids(self, project: str, ids: list[str]) -> set[str]:
        """Which of `ids` are records of the project (a join, not a per-row list scan)."""
        if not ids:
            return set()
        rows = self._all("SELECT id FROM records WHERE project = ? AND id IN (SELECT unnest(?))", [project, ids])
        return {r[0] for r in rows}

    def field_coverage(self, project: str, fields: list[str]) -> dict[str, dict[str, int]]:
        """Per text field (dotted for nested keys): on how many of the project's records it is
        missing (absent or null) and empty (text that is blank). One scan that parses each
        record's JSON once for all fields (~0.25 s for 100k records: the service caches it)."""
        if not fields:
            return {}
        parts = []
        for i in range(1, len(fields) + 1):
            parts.append(f"count(*) FILTER (WHERE v[{i}] IS NULL OR json_type(v[{i}]) = 'NULL')")
            parts.append(f"count(*) FILTER (WHERE json_type(v[{i}]) = 'VARCHAR' AND regexp_full_match(v[{i}]->>'$', '\\s*'))")
        row = self._one(f"SELECT {', '.join(parts)} FROM "
                        "(SELECT json_extract(data, $2::VARCHAR[]) AS v FROM records WHERE project = $1)",
                        [project, [json_path(f) for f in fields]])
        counts = list(row) if row else [0] * (2 * len(fields))
        return {f: {"missing": counts[2 * i], "empty": counts[2 * i + 1]} for i, f in enumerate(fields)}

    def clear_label(self, project: str, task: str, record_id: str) -> bool:
        with self._lock:
            found = self._con.execute("SELECT 1 FROM manual_labels WHERE project = ? AND task = ? AND record_id = ?",
                                      [project, task, record_id]).fetchall()
            self._con.execute("DELETE FROM manual_labels WHERE project = ? AND task = ? AND record_id = ?",
                              [project, task, record_id])
        return bool(found)

    def labels(self, project: str, task: str | None = None,
               record_ids: list[str] | None = None) -> list[dict[str, Any]]:
        sql = "SELECT task, record_id, label, labeled_by, labeled_at FROM manual_labels WHERE project = ?"
        params: list[Any] = [project]
        if task is not None:
            sql += " AND task = ?"
            params.append(task)
        if record_ids is not None:
            sql += " AND list_contains(?, record_id)"
            params.append(record_ids)
        rows = self._all(sql + " ORDER BY labeled_at, record_id", params)
        return [{"task": r[0], "record_id": r[1], "label": r[2], "labeled_by": r[3], "labeled_at": _iso(r[4])}
                for r in rows]

    def count_labels(self, project: str, task: str, since: datetime | None = None) -> int:
        """Manual labels of a task, or those set (or changed) after `since`."""
        sql, params = "SELECT count(*) FROM manual_labels WHERE project = ? AND task = ?", [project, task]
        if since is not None:
            sql += " AND labeled_at > ?"
        row = self._one(sql, params if since is None else [*params, since])
        return int(row[0]) if row else 0

    # -- trained models ---------------------------------------------------------------
    def insert_model(self, project: str, task: str, model: dict[str, Any], manual_labels: int,
                     embedding_model: str, trained_at: datetime) -> int:
        """Store a new version of a task's model; returns its number (1, 2, …)."""
        with self._lock:
            con = self._con
            con.execute("BEGIN")
            try:
                version = con.execute("SELECT coalesce(max(version), 0) + 1 FROM models WHERE project = ? AND task = ?",
                                      [project, task]).fetchall()[0][0]
                con.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [project, task, version, trained_at, manual_labels, embedding_model,
                             orjson.dumps({**model, "version": version}, option=orjson.OPT_SERIALIZE_NUMPY).decode()])
                con.execute("DELETE FROM models WHERE project = ? AND task = ? AND version <= ?",
                            [project, task, version - MODELS_KEPT])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
        return int(version)

    def latest_model(self, project: str, task: str) -> dict[str, Any] | None:
        """The newest model version of a task (its JSON, with "version" and "trained_at"), or None."""
        row = self._one("SELECT model, trained_at FROM models WHERE project = ? AND task = ? "
                        "ORDER BY version DESC LIMIT 1", [project, task])
        if row is None:
            return None
        return {**orjson.loads(row[0]), "trained_at": _iso(row[1])}

    def latest_model_info(self, project: str, task: str) -> dict[str, Any] | None:
        """{"version", "trained_at" (datetime)} of a task's newest model, without its JSON."""
        row = self._one("SELECT version, trained_at FROM models WHERE project = ? AND task = ? "
                        "ORDER BY version DESC LIMIT 1", [project, task])
        return None if row is None else {"version": row[0], "trained_at": row[1]}

    def model_versions(self, project: str, task: str) -> list[dict[str, Any]]:
        rows = self._all("SELECT version, trained_at, manual_labels, embedding_model FROM models "
                         "WHERE project = ? AND task = ? ORDER BY version", [project, task])
        return [{"version": r[0], "trained_at": _iso(r[1]), "manual_labels": r[2], "embedding_model": r[3]}
                for r in rows]

    # -- lookup lists -----------------------------------------------------------------
    def set_lookup_list(self, project: str, name: str, terms: list[str]) -> None:
        self._run("INSERT OR REPLACE INTO lookup_lists VALUES (?, ?, ?, ?)",
                  [project, name, orjson.dumps(terms).decode(), utcnow()])

    def lookup_lists(self, project: str) -> dict[str, list[str]]:
        rows = self._all("SELECT name, terms FROM lookup_lists WHERE project = ? ORDER BY name", [project])
        return {r[0]: orjson.loads(r[1]) for r in rows}

    def delete_lookup_list(self, project: str, name: str) -> bool:
        with self._lock:
            found = self._con.execute("SELECT 1 FROM lookup_lists WHERE project = ? AND name = ?",
                                      [project, name]).fetchall()
            self._con.execute("DELETE FROM lookup_lists WHERE project = ? AND name = ?", [project, name])
        return bool(found)

    # -- heuristics -------------------------------------------------------------------
    def save_heuristic(self, project: str, task: str, name: str, kind: str, config: dict) -> None:
        self._run("INSERT OR REPLACE INTO heuristics VALUES (?, ?, ?, ?, ?, ?)",
                  [project, task, name, kind, orjson.dumps(config).decode(), utcnow()])

    def heuristics(self, project: str, task: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT task, name, kind, config, updated_at FROM heuristics WHERE project = ?", [project]
        if task is not None:
            sql += " AND task = ?"
            params.append(task)
        rows = self._all(sql + " ORDER BY task, name", params)
        return [{"task": r[0], "name": r[1], "kind": r[2], "config": orjson.loads(r[3]),
                 "updated_at": _iso(r[4])} for r in rows]

    def delete_heuristic(self, project: str, task: str, name: str) -> bool:
        with self._lock:
            found = self._con.execute("SELECT 1 FROM heuristics WHERE project = ? AND task = ? AND name = ?",
                                      [project, task, name]).fetchall()
            self._con.execute("DELETE FROM heuristics WHERE project = ? AND task = ? AND name = ?",
                              [project, task, name])
        return bool(found)

    # -- embeddings -------------------------------------------------------------------
    def cached_embeddings(self, project: str, fields_key: str, model: str,
                          wanted: Iterable[tuple[str, str]]) -> dict[str, bytes]:
        """Vectors whose (record_id, text_hash) is in `wanted`: stale text never matches."""
        wanted = list(wanted)
        table = pa.table({"record_id": pa.array([w[0] for w in wanted], pa.string()),
                          "text_hash": pa.array([w[1] for w in wanted], pa.string())})
        with self._lock:
            self._con.register("wanted_embeddings", table)
            try:
                rows = self._con.execute(
                    "SELECT e.record_id, e.vector FROM embeddings e JOIN wanted_embeddings w "
                    "ON e.record_id = w.record_id AND e.text_hash = w.text_hash "
                    "WHERE e.project = ? AND e.fields_key = ? AND e.model = ?", [project, fields_key, model]
                ).fetchall()
            finally:
                self._con.unregister("wanted_embeddings")
        return {r[0]: r[1] for r in rows}

    def store_embeddings(self, project: str, fields_key: str, model: str, record_ids: list[str],
                         hashes: list[str], vectors: np.ndarray) -> None:
        n = len(record_ids)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        table = pa.table({
            "project": pa.array([project] * n, pa.string()),
            "record_id": pa.array(record_ids, pa.string()),
            "fields_key": pa.array([fields_key] * n, pa.string()),
            "model": pa.array([model] * n, pa.string()),
            "text_hash": pa.array(hashes, pa.string()),
            "vector": pa.array([v.tobytes() for v in vectors], pa.binary()),
        })
        with self._lock:
            self._con.register("new_embeddings", table)
            try:
                self._con.execute("INSERT OR REPLACE INTO embeddings SELECT * FROM new_embeddings")
            finally:
                self._con.unregister("new_embeddings")
