"""Shared stores: one DuckDB table per store, plus the `_stores` catalog.

Each store table holds `id` (unique by construction, no key: see below), `data` (the record as JSON), `seq`,
`created_at` and `updated_at`. `seq` comes from the catalog's `last_seq` counter, which
only grows (a dropped-and-recreated store restarts it, and its cursors are dropped with
it), so "records written after seq N" is exact even after deletes.

Every function takes an open DuckDB connection; the caller (the client) serialises
writes. An upsert is one transaction: all of the batch or none of it.

Why `id` has no PRIMARY KEY (since issue 20): DuckDB keeps the ART index of the rows a
transaction inserts in memory, pinned, until it commits — ~90 B per record, so a
10,000,000-record write needed ~900 MB whatever `memory_limit` said (it failed with "could
not allocate" at 600 MB). Ids stay unique by construction instead: every write goes
through `upsert_chunks` under the client's write lock, which updates the ids that exist
and inserts only ids that do not (`ANTI JOIN`), from chunks whose ids are unique (a
changed record is written as its new version plus the delete of the old one, both in
that transaction). Lookups
by id were hash joins and scans already (an upsert of 10k records into 5M measured 0.52 s
without the key, 0.66 s with it). Tables made before keep working and lose their key once,
at open (`drop_legacy_keys`).

Why `seq` has no ART index: DuckDB turns an UPDATE of an indexed column into a delete
plus insert, which made an upsert over existing ids about 4x slower, and the planner
still answered `seq > ?` with a scan. Rows are appended in seq order, so DuckDB's
per-row-group min/max (zonemaps) already skip old row groups; reading 1,000 new records
of a 1,000,000-record store measured ~2 ms (see bench/stores.py).
"""

from __future__ import annotations

from typing import Any, Iterable

import duckdb
import orjson
import pyarrow as pa

from .duckdb_memory import MEMORY_ENV
from .errors import StoreExists, StoreMemoryExceeded, StoreNotFound
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


def _table_ddl(name: str, table: str | None = None) -> str:
    return (
        f"CREATE TABLE {table or table_of(name)} (id VARCHAR NOT NULL, data JSON NOT NULL, seq BIGINT NOT NULL, "
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
    `batch` is `batch.encode_batch`'s table (unique ids, `ord` 0..n-1)."""
    con.register(_BATCH_VIEW, batch)
    try:
        return upsert_chunks(con, name, [_BATCH_VIEW], batch.num_rows, create=create)
    finally:
        con.unregister(_BATCH_VIEW)


def upsert_chunks(con: duckdb.DuckDBPyConnection, name: str, chunks: Iterable[str], count: int, *,
                  create: bool = False) -> dict[str, int]:
    """`upsert` of records that come as several relations, in one transaction.

    Each chunk is the name of a relation (a registered view, a table) with `id`, `data`
    (JSON) and `ord`; across all chunks the ids are unique and the ords are 0..count-1
    (what `encode_batch` gives for one batch, and a staged write for many). A chunk is
    read by its statements only while the iteration stands on it, so the caller may
    register each one just before yielding it.

    Written records (inserted or changed) get fresh seqs, `first_seq + ord`, so an
    incremental reader sees both new and updated records; a record written again with
    identical data keeps its seq and is counted as `unchanged` (its seq number is skipped,
    as `last_seq` always advances by `count`).
    """
    table = table_of(name)
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
        # Never written to, so empty: plain bulk inserts (ids are unique across the chunks).
        empty = first_seq == 1
        inserted = updated = 0
        for chunk in chunks:
            if empty:
                inserted += con.execute(
                    f"INSERT INTO {table} (id, data, seq, created_at, updated_at) "
                    f"SELECT id, data, ord + 1, now(), now() FROM {chunk}").fetchall()[0][0]
                continue
            # A changed record: its new version appended (keeping created_at), then the old
            # one deleted — not an UPDATE, whose changed strings DuckDB holds in memory until
            # the commit (an UPDATE of 1,000,000 records failed at a 256 MB limit; this way
            # 10,000,000 took ~350 MB, since appended rows spill and a delete is a marker).
            changed = con.execute(
                f"INSERT INTO {table} (id, data, seq, created_at, updated_at) "
                f"SELECT b.id, b.data, b.ord + ?, t.created_at, now() FROM {chunk} b JOIN {table} t ON t.id = b.id "
                f"WHERE t.seq < ? AND t.data::VARCHAR IS DISTINCT FROM b.data",
                [first_seq, first_seq],
            ).fetchall()[0][0]
            if changed:
                con.execute(
                    f"DELETE FROM {table} t USING {chunk} b "
                    f"WHERE t.id = b.id AND t.seq < ? AND t.data::VARCHAR IS DISTINCT FROM b.data",
                    [first_seq],
                ).fetchall()
            updated += changed
            inserted += con.execute(
                f"INSERT INTO {table} (id, data, seq, created_at, updated_at) "
                f"SELECT b.id, b.data, b.ord + ?, now(), now() FROM {chunk} b ANTI JOIN {table} t ON t.id = b.id",
                [first_seq],
            ).fetchall()[0][0]
        con.execute("UPDATE _stores SET last_seq = ?, last_write_at = now() WHERE name = ?",
                    [first_seq + count - 1, name]).fetchall()
        con.execute("COMMIT")
    except duckdb.OutOfMemoryException as exc:
        _rollback(con)
        raise StoreMemoryExceeded(
            f'store "{name}": the write of {count} records needs more memory than DuckDB may use here '
            f"({MEMORY_ENV}; {exc}); nothing was written") from None
    except BaseException:
        _rollback(con)
        raise
    return {"inserted": int(inserted), "updated": int(updated), "unchanged": count - int(inserted) - int(updated)}


def drop_legacy_keys(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rebuild store tables made with `id PRIMARY KEY` (before issue 20) without it, each in
    one transaction (rows, seqs and times unchanged); returns the stores rebuilt. DuckDB
    cannot drop a primary key in place."""
    keyed = [table for (table,) in con.execute(
        "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
        "AND table_name LIKE 'store\\_%' ESCAPE '\\' AND database_name = current_database()").fetchall()]
    names = {f"store_{name}": name for (name,) in con.execute("SELECT name FROM _stores").fetchall()}
    rebuilt = []
    for table_name in keyed:
        name = names.get(table_name)
        if name is None:
            continue  # not a store of the catalog: leave it alone
        table, staging = table_of(name), f'"_rebuild_{table_name}"'
        con.execute("BEGIN")
        try:
            con.execute(_table_ddl(name, staging))
            con.execute(f"INSERT INTO {staging} SELECT id, data, seq, created_at, updated_at FROM {table} ORDER BY seq")
            con.execute(f"DROP TABLE {table}")
            con.execute(f'ALTER TABLE {staging} RENAME TO "{table_name}"')
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        rebuilt.append(name)
    return rebuilt


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
