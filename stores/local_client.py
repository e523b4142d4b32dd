"""`LocalStoreClient`: the in-process StoreClient over one `stores.duckdb` file.

Used by the process that owns the stores (the API server, or `wirework run` with no
server). Thread-safe: every operation uses a DuckDB cursor of its own from a small pool
(a DuckDB connection must not be shared between threads; its cursors may run side by
side), and every write holds one lock, so writes commit one at a time and `seq` values
become visible in order (an incremental reader can never pass over a record that
commits later with a lower seq). CPU-heavy encoding of a batch happens before the lock
is taken.

DuckDB gets a bounded memory limit and a spill folder in the data folder
(`duckdb_memory.py`, `WIREWORK_DUCKDB_MEMORY_MB`), and a write whose records arrive batch by
batch is staged to disk (`staged_writes.py`) and committed as one transaction, so neither
a caller nor this process holds a whole big write (`upsert_batches`, and the HTTP
routes' `open_write` / `stage_batch` / `commit_write` / `abort_write`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb

from . import cursors, files, secret_store, shared
from .batch import encode_batch
from .client import DataStores, Record
from .duckdb_memory import duckdb_config
from .staged_writes import StagedWrites, drop_temporary
from .errors import FilterInvalid, StoreClientClosed, StoresLocked
from .names import check_name

log = logging.getLogger("wirework.stores")
DB_FILE = "stores.duckdb"
KEY_FILE = "secrets.key"
FILES_DIR = "files"


class LocalStoreClient:
    """Stores, cursors, files and secrets of one data folder (see `StoreClient`)."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / DB_FILE
        self.files_dir = self.data_dir / FILES_DIR
        self.files_dir.mkdir(exist_ok=True)
        self._fernet = secret_store.load_or_create_key(self.data_dir / KEY_FILE)
        try:
            self._con = duckdb.connect(str(self.path), config=duckdb_config(self.data_dir))
        except duckdb.IOException as exc:
            # DuckDB allows one process per file: usually `wirework up` owns it.
            raise StoresLocked(
                f"cannot open {self.path}: another process holds it ({exc}). While the wirework server runs, "
                "reach stores through it (flows started from the editor or the API) instead of opening the file"
            ) from None
        self._write_lock = threading.RLock()
        self._pool_lock = threading.Lock()
        self._idle: list[duckdb.DuckDBPyConnection] = []
        self._closed = False
        with self._writing() as con:
            con.execute(shared.CATALOG_SCHEMA + cursors.CURSOR_SCHEMA + secret_store.SECRETS_SCHEMA)
            for name in shared.drop_legacy_keys(con):
                log.info('store "%s": rebuilt without its primary key index (see stores/shared.py)', name)
        self._writes = StagedWrites(self.data_dir)

    # -- connection handling ---------------------------------------------------------
    @contextlib.contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for this thread's exclusive use during one operation. Cursors are
        pooled rather than kept per thread because node code may run in short-lived
        threads (per-node deadlines), which would otherwise leave a cursor behind each."""
        with self._pool_lock:
            if self._closed:
                raise StoreClientClosed(f"the store client of {self.path} is closed")
            con = self._idle.pop() if self._idle else self._con.cursor()
        try:
            yield con
        finally:
            healthy = True
            try:
                con.complete()  # DuckDB refuses new work on a cursor with an unfinished result
            except duckdb.Error:
                healthy = False
            with self._pool_lock:
                if self._closed or not healthy:
                    con.close()
                else:
                    self._idle.append(con)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._write_lock, self._connection() as con:
            yield con

    def close(self) -> None:
        with self._write_lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            self._writes.close()
            for con in self._idle:
                con.close()
            self._idle.clear()
            self._con.close()

    def __enter__(self) -> "LocalStoreClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- shared stores -----------------------------------------------------------------
    def list_stores(self) -> list[dict[str, Any]]:
        with self._connection() as con:
            return shared.list_all(con)

    def create_store(self, name: str, *, exist_ok: bool = False) -> dict[str, Any]:
        with self._writing() as con:
            created = shared.create(con, name, exist_ok=exist_ok)
        if created:
            log.info('created store "%s"', name)
        return self.describe_store(name)

    def describe_store(self, name: str) -> dict[str, Any]:
        with self._connection() as con:
            return shared.describe(con, name)

    def drop_store(self, name: str) -> None:
        with self._writing() as con:
            shared.drop(con, name)
        log.info('dropped store "%s" and its cursors', name)

    def upsert(self, name: str, records: list[dict[str, Any]], *, create: bool = False) -> dict[str, int]:
        """Insert or update by `id`, all or nothing: {"inserted", "updated", "unchanged"}.

        `create` makes the store first if it does not exist."""
        check_name(name)
        batch = encode_batch(name, records)  # outside the lock: serialisation is the slow part
        with self._writing() as con:
            return shared.upsert(con, name, batch, create=create)

    def upsert_batches(self, name: str, batches: Iterable[list[Record]], *, create: bool = False) -> dict[str, int]:
        """`upsert` of the concatenation of `batches`, all or nothing, each batch staged to
        disk as it comes (see StoreRecords.upsert_batches)."""
        write_id = self.open_write(name, create=create)
        try:
            for records in batches:
                self.stage_batch(name, write_id, records)
        except BaseException:
            self.abort_write(name, write_id, missing_ok=True)
            raise
        return self.commit_write(name, write_id)

    # The steps of `upsert_batches`, one HTTP request each (engine/server/routes/stores.py).
    def open_write(self, name: str, *, create: bool = False) -> str:
        """A new staged write into `name`; its id. The store must exist unless `create`."""
        check_name(name)
        if not create:
            with self._connection() as con:
                shared.require(con, name)
        self._writes.remove_abandoned()
        return self._writes.open(name, create=create).write_id

    def stage_batch(self, name: str, write_id: str, records: list[Record]) -> dict[str, int]:
        """Stage one batch: {"received": records in it, "staged": records so far}. A bad
        record aborts the write (RecordInvalid naming it by its index in the write)."""
        return self._writes.stage(self._writes.get(write_id, name), records)

    def commit_write(self, name: str, write_id: str) -> dict[str, int]:
        """Ingest every staged batch in one transaction: `upsert`'s counts. The staged
        files are deleted whether it commits or fails."""
        write = self._writes.get(write_id, name)
        self._writes.take(write)
        try:
            with self._writing() as con:
                try:
                    chunks, count = self._writes.chunks(con, write)
                    counts = shared.upsert_chunks(con, name, chunks, count, create=write.create)
                finally:
                    drop_temporary(con)
        finally:
            self._writes.discard(write)
        log.info('store "%s": staged write of %d records in %d batches committed: %s', name, write.received,
                 len(write.files), counts)
        return counts

    def abort_write(self, name: str, write_id: str, *, missing_ok: bool = False) -> None:
        """Drop the write and its staged files (WriteNotFound if it is not open)."""
        try:
            write = self._writes.get(write_id, name)
        except LookupError:
            if missing_ok:
                return
            raise
        self._writes.discard(write)

    def remove_abandoned_writes(self, max_idle_s: float | None = None) -> list[str]:
        """Delete staged writes that got no batch for an hour (or `max_idle_s`)."""
        if max_idle_s is None:
            return self._writes.remove_abandoned()
        return self._writes.remove_abandoned(max_idle_s)

    def read(self, name: str, *, where: dict[str, Any] | None = None, limit: int | None = None,
             offset: int = 0) -> list[dict[str, Any]]:
        _check_window(name, limit, offset)
        with self._connection() as con:
            return shared.query(con, name, where, limit, offset)

    def browse(self, name: str, *, where: dict[str, Any] | None = None, limit: int = 50,
               offset: int = 0) -> dict[str, Any]:
        """A page for the stores browser: {"records", "total", "offset", "limit"}."""
        _check_window(name, limit, offset)
        with self._connection() as con:
            con.execute("BEGIN")  # one snapshot, so total and page agree
            try:
                records, total = shared.page(con, name, where, limit, offset)
            finally:
                con.execute("COMMIT")
        return {"records": records, "total": total, "offset": offset, "limit": limit}

    def read_since(self, name: str, after_seq: int, limit: int | None = None) -> dict[str, Any]:
        """Records written after `after_seq`: {"records": [...], "last_seq": int}."""
        _check_window(name, limit, 0)
        if not _is_count(after_seq):
            raise FilterInvalid(f'store "{name}": after_seq must be a non-negative integer up to 2**62, got {after_seq!r}')
        with self._connection() as con:
            return shared.since(con, name, after_seq, limit)

    def delete(self, name: str, ids: list[str]) -> int:
        if not isinstance(ids, (list, tuple)):
            raise FilterInvalid(f'store "{name}": ids to delete must be a list, got {type(ids).__name__}')
        with self._writing() as con:
            return shared.delete(con, name, list(ids))

    # -- incremental cursors ---------------------------------------------------------
    def get_cursor(self, workflow_id: str, node_id: str, store: str) -> int:
        with self._connection() as con:
            return cursors.get(con, workflow_id, node_id, store)

    def advance_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> int:
        """Move the cursor forward to `seq` (never back); returns the cursor in force."""
        with self._writing() as con:
            return cursors.put(con, workflow_id, node_id, store, seq, forward_only=True)

    def set_cursor(self, workflow_id: str, node_id: str, store: str, seq: int) -> None:
        """Put the cursor exactly at `seq` (0 re-reads the whole store next run)."""
        with self._writing() as con:
            cursors.put(con, workflow_id, node_id, store, seq, forward_only=False)

    def list_cursors(self, store: str | None = None) -> list[dict[str, Any]]:
        with self._connection() as con:
            return cursors.list_all(con, store)

    # -- file stores -----------------------------------------------------------------
    def list_files(self) -> list[dict[str, Any]]:
        return files.list_files(self.files_dir)

    def import_file(self, name: str, path: str, *, format: str | None = None, id_field: str = "id",
                    create: bool = True) -> dict[str, Any]:
        """Upsert the rows of a CSV / Parquet / JSON Lines file in the files folder."""
        check_name(name)
        target = files.resolve(self.files_dir, path)
        fmt = files.file_format(target, format)
        with self._connection() as con:
            rows = files.read_rows(con, target, fmt)
        counts = self.upsert(name, files.rows_to_records(rows, id_field), create=create)
        return {"store": name, "path": path, "format": fmt, "rows": len(rows), **counts}

    def export_file(self, name: str, path: str, *, format: str | None = None,
                    where: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write a store (optionally filtered) to a file in the files folder."""
        check_name(name)
        target = files.resolve(self.files_dir, path)
        fmt = files.file_format(target, format)
        with self._connection() as con:
            con.execute("BEGIN")  # one snapshot for the count and the COPY
            try:
                shared.require(con, name)
                count = files.export(con, name, target, fmt, where)
            finally:
                con.execute("COMMIT")
        return {"store": name, "path": path, "format": fmt, "records": count, "bytes": target.stat().st_size}

    # -- secrets and webhook targets -------------------------------------------------
    def set_secret(self, name: str, value: str, *, kind: str = "secret") -> dict[str, Any]:
        """Set a secret (kind "secret") or webhook target (kind "webhook"); returns it masked."""
        with self._writing() as con:
            entry = secret_store.put(con, self._fernet, name, value, kind)
        log.info('set %s "%s"', kind, name)  # the name only, never the value
        return entry

    def list_secrets(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._connection() as con:
            return secret_store.list_all(con, kind)

    def describe_secret(self, name: str) -> dict[str, Any]:
        with self._connection() as con:
            return secret_store.describe(con, name)

    def delete_secret(self, name: str) -> bool:
        with self._writing() as con:
            return secret_store.remove(con, name)

    def get_secret(self, name: str) -> str:
        """The value, for nodes at run time only; the API never exposes this."""
        with self._connection() as con:
            return secret_store.reveal(con, self._fernet, name)


# DuckDB's LIMIT/OFFSET and seqs are BIGINT: a larger number would fail inside the query.
MAX_WINDOW = 2**62


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_WINDOW


def _check_window(name: str, limit: int | None, offset: int) -> None:
    if limit is not None and not _is_count(limit):
        raise FilterInvalid(f'store "{name}": limit must be a non-negative integer up to 2**62, got {limit!r}')
    if not _is_count(offset):
        raise FilterInvalid(f'store "{name}": offset must be a non-negative integer up to 2**62, got {offset!r}')


def _implements(client: LocalStoreClient) -> DataStores:
    return client  # mypy checks here that LocalStoreClient implements the DataStores protocol
