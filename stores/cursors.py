"""Incremental cursors: per (workflow, node, store), the last `seq` a successful run read.

A `store.read` node in incremental mode reads records with `seq` above its cursor and
asks the engine to advance the cursor only once the whole run succeeded, so a failed
run reads the same records again. Advancing never moves a cursor backwards: when two
runs of one workflow overlap, the one that finishes last cannot undo the other's
progress (records are then read at least once, never skipped).
"""

from __future__ import annotations

from typing import Any

import duckdb

from .names import check_name

CURSOR_SCHEMA = """
CREATE TABLE IF NOT EXISTS _cursors (
    workflow_id VARCHAR NOT NULL,
    node_id VARCHAR NOT NULL,
    store VARCHAR NOT NULL,
    seq BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workflow_id, node_id, store)
);
"""


def _key(workflow_id: str, node_id: str, store: str) -> list[str]:
    if not isinstance(workflow_id, str) or not workflow_id or not isinstance(node_id, str) or not node_id:
        raise ValueError(f"a cursor needs a workflow id and a node id, got {workflow_id!r} / {node_id!r}")
    return [workflow_id, node_id, check_name(store)]


def get(con: duckdb.DuckDBPyConnection, workflow_id: str, node_id: str, store: str) -> int:
    rows = con.execute("SELECT seq FROM _cursors WHERE workflow_id = ? AND node_id = ? AND store = ?",
                       _key(workflow_id, node_id, store)).fetchall()
    return rows[0][0] if rows else 0


def put(con: duckdb.DuckDBPyConnection, workflow_id: str, node_id: str, store: str, seq: int, *,
        forward_only: bool) -> int:
    """Store the cursor (only if higher when `forward_only`); returns the cursor now in force."""
    if not isinstance(seq, int) or seq < 0:
        raise ValueError(f"a cursor position must be a non-negative integer, got {seq!r}")
    update = "greatest(_cursors.seq, excluded.seq)" if forward_only else "excluded.seq"
    return con.execute(
        "INSERT INTO _cursors (workflow_id, node_id, store, seq, updated_at) VALUES (?, ?, ?, ?, now()) "
        f"ON CONFLICT (workflow_id, node_id, store) DO UPDATE SET seq = {update}, updated_at = now() RETURNING seq",
        [*_key(workflow_id, node_id, store), seq],
    ).fetchall()[0][0]


def list_all(con: duckdb.DuckDBPyConnection, store: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT workflow_id, node_id, store, seq, updated_at FROM _cursors"
    params: list[Any] = []
    if store is not None:
        sql += " WHERE store = ?"
        params.append(check_name(store))
    rows = con.execute(sql + " ORDER BY workflow_id, node_id, store", params).fetchall()
    return [{"workflow_id": w, "node_id": n, "store": s, "seq": q, "updated_at": u.isoformat()} for w, n, s, q, u in rows]
