"""Shared stores: one DuckDB table per store, plus the `_stores` catalog.

Each store table holds `id` (primary key), `data` (the record as JSON), `seq`,
`created_at` and `updated_at`. `seq` comes from the catalog's `last_seq` counter, which
only grows (a dropped-and-recreated store restarts it, and its cursors are dropped with
it), so "records written after seq N" is exact even after deletes.

Every function takes an open DuckDB connection; the caller (the client) serialises
writes. An upsert is one transaction: all of the batch or none of it.

Why `seq` has no ART index: DuckDB turns an UPDATE of an indexed column into a delete
plus insert, which made an upsert over existing ids about 4x slower, and the planner
still answered `seq > ?` with a scan. Rows are appended in seq order, so DuckDB's
per-row-group min/max (zonemaps) already skip old row groups; reading 1,000 new records
of a 1,000,000-record store measured ~2 ms (see bench/stores.py).
"""

from __future__ import annotations

from typing import Any

import duckdb
import orjson
import pyarrow as pa

from .errors import StoreExists, StoreNotFound
from .filters import matching_rows
from .names import check_name, table_of

CATALOG_SCHEMA = """
CREATE TABLE IF NOT EXISTS _stores (
    name VARCHAR PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_write_at TIMESTAMPTZ
);
"""

_BATCH_VIEW = "_wirework_batch"
SAMPLE_FOR_SCHEMA = 200


def _table_ddl(name: str) -> str:
    return (
        f"CREATE TABLE {table_of(name)} (id VARCHAR PRIMARY KEY, data JSON NOT NULL, seq BIGINT NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL)"
    )


def exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return con.execute("SELECT 1 FROM _stores WHERE name = ?", [check_name(name)]).fetchall() != []


def require(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if not exists(con, name):
        raise StoreNotFound(name)


def create(con: duckdb.DuckDBPyConnection, name: str, *, exist_ok: bool = False) -> bool:
    """Create the store; returns False if it existed (and `exist_ok`)."""
    check_name(name)
    con.execute("BEGIN")
    try:
        if exists(con, name):
            con.execute("ROLLBACK")
            if exist_ok:
                return False
            raise StoreExists(name)
        con.execute(_table_ddl(name))
        con.execute("INSERT INTO _stores (name, created_at, last_seq) VALUES (?, now(), 0)", [name]).fetchall()
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
    return True


def drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop the store and the incremental cursors that point into it (its seq restarts)."""
    check_name(name)
    con.execute("BEGIN")
    try:
        if not exists(con, name):
            raise StoreNotFound(name)
        con.execute(f"DROP TABLE {table_of(name)}")
        con.execute("DELETE FROM _stores WHERE name = ?", [name])
        con.execute("DELETE FROM _cursors WHERE store = ?", [name])
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise


def list_all(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    rows = con.execute("SELECT name, created_at, last_seq, last_write_at FROM _stores ORDER BY name").fetchall()
    out = []
    for name, created_at, last_seq, last_write_at in rows:
        count = con.execute(f"SELECT count(*) FROM {table_of(name)}").fetchall()[0][0]
        out.append({"name": name, "count": count, "created_at": _iso(created_at), "last_write_at": _iso(last_write_at),
                    "last_seq": last_seq})
    return out


def describe(con: duckdb.DuckDBPyConnection, name: str, sample_size: int = 5) -> dict[str, Any]:
    """Count, sizes, the fields seen in the latest records (with their JSON types) and a sample."""
    check_name(name)
    rows = con.execute("SELECT created_at, last_seq, last_write_at FROM _stores WHERE name = ?", [name]).fetchall()
    if not rows:
        raise StoreNotFound(name)
    created_at, last_seq, last_write_at = rows[0]
    table = table_of(name)
    count, data_bytes = con.execute(f"SELECT count(*), coalesce(sum(strlen(data::VARCHAR)), 0) FROM {table}").fetchall()[0]
    latest = [orjson.loads(d) for (d,) in con.execute(
        f"SELECT data FROM {table} ORDER BY seq DESC LIMIT ?", [max(SAMPLE_FOR_SCHEMA, sample_size)]).fetchall()]
    fields: dict[str, set[str]] = {}
    for record in latest:
        for key, value in record.items():
            fields.setdefault(key, set()).add(_json_type(value))
    return {
        "name": name,
        "count": count,
        "data_bytes": int(data_bytes),
        "created_at": _iso(created_at),
        "last_write_at": _iso(last_write_at),
        "last_seq": last_seq,
        "schema": {key: sorted(types) for key, types in fields.items()},
        "schema_sampled_records": len(latest),
        "sample": latest[:sample_size],
    }


def upsert(con: duckdb.DuckDBPyConnection, name: str, batch: pa.Table, *, create: bool = False) -> dict[str, int]:
    """Insert new ids, update changed ones, leave identical ones alone: one transaction
    (which also creates the store when `create` is set, so a failed batch leaves no store).

    Written records (inserted or changed) get fresh seqs, in batch order, so an
    incremental reader sees both new and updated records; a record written again with
    identical data keeps its seq and is counted as `unchanged`.
    """
    table = table_of(name)
    count = batch.num_rows
    con.register(_BATCH_VIEW, batch)
    try:
        con.execute("BEGIN")
        try:
            rows = con.execute("SELECT last_seq FROM _stores WHERE name = ?", [name]).fetchall()
            if not rows:
                if not create:
                    raise StoreNotFound(name)
                con.execute(_table_ddl(name))
                con.execute("INSERT INTO _stores (name, created_at, last_seq) VALUES (?, now(), 0)", [name])
                rows = [(0,)]
            first_seq = rows[0][0] + 1
            if first_seq == 1:  # never written to, so empty: a plain bulk insert
                inserted = con.execute(
                    f"INSERT INTO {table} (id, data, seq, created_at, updated_at) "
                    f"SELECT id, data, ord + 1, now(), now() FROM {_BATCH_VIEW}").fetchall()[0][0]
                con.execute("UPDATE _stores SET last_seq = ?, last_write_at = now() WHERE name = ?",
                            [count, name]).fetchall()
                con.execute("COMMIT")
                return {"inserted": int(inserted), "updated": 0, "unchanged": count - int(inserted)}
            updated = con.execute(
                f"UPDATE {table} SET data = b.data, seq = b.ord + ?, updated_at = now() FROM {_BATCH_VIEW} b "
                f"WHERE {table}.id = b.id AND {table}.data::VARCHAR IS DISTINCT FROM b.data",
                [first_seq],
            ).fetchall()[0][0]
            inserted = con.execute(
                f"INSERT INTO {table} (id, data, seq, created_at, updated_at) "
                f"SELECT b.id, b.data, b.ord + ?, now(), now() FROM {_BATCH_VIEW} b ANTI JOIN {table} t ON t.id = b.id",
                [first_seq],
            ).fetchall()[0][0]
            con.execute("UPDATE _stores SET last_seq = ?, last_write_at = now() WHERE name = ?",
                        [first_seq + count - 1, name]).fetchall()
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    finally:
        con.unregister(_BATCH_VIEW)
    return {"inserted": int(inserted), "updated": int(updated), "unchanged": count - int(inserted) - int(updated)}


def delete(con: duckdb.DuckDBPyConnection, name: str, ids: list[str]) -> int:
    table = table_of(name)
    con.register(_BATCH_VIEW, pa.table({"id": pa.array([str(i) for i in ids], type=pa.string())}))
    try:
        con.execute("BEGIN")
        try:
            require(con, name)
            deleted = con.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {_BATCH_VIEW})").fetchall()[0][0]
            con.execute("UPDATE _stores SET last_write_at = now() WHERE name = ?", [name])
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
    finally:
        con.unregister(_BATCH_VIEW)
    return int(deleted)


def query(con: duckdb.DuckDBPyConnection, name: str, where: dict[str, Any] | None = None,
          limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Records in write order (seq), filtered on JSON fields."""
    require(con, name)
    source, params = matching_rows(name, table_of(name), where)
    sql = f"SELECT data FROM {source} ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    if offset:
        sql += " OFFSET ?"
        params.append(int(offset))
    return _decode(con.execute(sql, params).fetchall())


def count(con: duckdb.DuckDBPyConnection, name: str, where: dict[str, Any] | None = None) -> int:
    require(con, name)
    source, params = matching_rows(name, table_of(name), where)
    return con.execute(f"SELECT count(*) FROM {source}", params).fetchall()[0][0]


def page(con: duckdb.DuckDBPyConnection, name: str, where: dict[str, Any] | None, limit: int,
         offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of matching records and the number of all matches, in one scan."""
    require(con, name)
    source, params = matching_rows(name, table_of(name), where)
    rows = con.execute(f"SELECT data, count(*) OVER () FROM {source} ORDER BY seq LIMIT ? OFFSET ?",
                       [*params, int(limit), int(offset)]).fetchall()
    if not rows:  # an empty page (past the end, or limit 0) still needs the total
        return [], count(con, name, where)
    return [orjson.loads(data) for data, _ in rows], int(rows[0][1])


def since(con: duckdb.DuckDBPyConnection, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
    """Records written (inserted or changed) after `after_seq`, oldest first, and the seq
    of the last one returned (`after_seq` itself when there is nothing new)."""
    require(con, name)
    sql = f"SELECT data, seq FROM {table_of(name)} WHERE seq > ? ORDER BY seq"
    params: list[Any] = [int(after_seq)]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = con.execute(sql, params).fetchall()
    return {"records": [orjson.loads(data) for data, _ in rows], "last_seq": rows[-1][1] if rows else int(after_seq)}


def _decode(rows: list[tuple]) -> list[dict[str, Any]]:
    loads = orjson.loads
    return [loads(data) for (data,) in rows]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open (it failed before BEGIN or was already rolled back)
