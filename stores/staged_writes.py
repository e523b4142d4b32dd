"""Staged writes: one upsert whose records arrive batch by batch (`upsert_batches`).

A write is opened, fed batches, then committed or aborted. Each batch is checked and
encoded like an `upsert` batch (`batch.encode_batch`: a bad record refuses it, naming the
record by its index in the whole write and its id) and written at once to an Arrow IPC
file of its own under `<data folder>/staging/<write id>/`; nothing of it stays in memory.
The commit reads the files back in chunks of about a million records and runs the same
statements as `upsert` (`shared.upsert_chunks`) in one transaction, so the counts and the
seqs are those of one `upsert` over the concatenation of the batches: an id given again
in a later batch counts once, its last version wins and it keeps the place of its first
appearance (exactly what `check_records` does within one batch). Arrow IPC rather than a
DuckDB table: DuckDB takes the files' JSON column without parsing it again, and staging
1,000,000 records cost ~1 s less than inserting them into a staging table.

Writes live in this process (the one that owns the stores): a write not committed or
aborted — its run was killed — is removed after `ABANDONED_AFTER_S` without a batch
(`remove_abandoned`), and the whole staging folder is emptied when the stores open.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.ipc as ipc

from .batch import encode_batch
from .errors import RecordInvalid, WriteNotFound
from .names import check_name

log = logging.getLogger("wirework.stores")
STAGING_DIR = "staging"
ABANDONED_AFTER_S = 3600.0
# Records per statement of a commit. One INSERT over a whole 10,000,000-record write grew
# the process to 1.5 GB (the Arrow scan runs ahead of the insert); chunks of 1,000,000
# kept it near 450 MB at the same speed.
CHUNK_RECORDS = 1_000_000
_CHUNK_VIEW = "_wirework_staged"
_DEDUPED = "_wirework_deduped"


@dataclass
class StagedWrite:
    """One open write: where its batches are and how many records came."""

    write_id: str
    store: str
    create: bool
    folder: Path
    touched_at: float = field(default_factory=time.monotonic)
    received: int = 0  # records as given, all batches
    staged: int = 0  # records staged: each batch without its own repeated ids
    files: list[tuple[Path, int]] = field(default_factory=list)  # (file, records in it)
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: bool = False  # committed, aborted or refused: no batch may come any more


class StagedWrites:
    """The open writes of one data folder (see the module docstring). Thread-safe: a write
    takes one batch at a time; different writes stage side by side."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / STAGING_DIR
        shutil.rmtree(self.root, ignore_errors=True)  # at start every write is abandoned
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._open: dict[str, StagedWrite] = {}

    def open(self, store: str, *, create: bool) -> StagedWrite:
        check_name(store)
        write_id = uuid.uuid4().hex
        write = StagedWrite(write_id, store, bool(create), self.root / write_id)
        write.folder.mkdir()
        with self._lock:
            self._open[write.write_id] = write
        return write

    def get(self, write_id: str, store: str) -> StagedWrite:
        """The open write `write_id` of `store` (a write of another store is not found, so a
        caller allowed one store cannot feed another's write)."""
        with self._lock:
            write = self._open.get(write_id) if isinstance(write_id, str) else None
        if write is None or write.store != store or write.done:
            raise WriteNotFound(store, str(write_id))
        return write

    def stage(self, write: StagedWrite, records: Any) -> dict[str, int]:
        """Check, encode and write one batch to disk: {"received", "staged"}. A bad record
        aborts the whole write (its files are deleted) and raises RecordInvalid naming the
        record by its index in the write."""
        with write.lock:
            if write.done:
                raise WriteNotFound(write.store, write.write_id)
            try:
                batch = encode_batch(write.store, records)
            except RecordInvalid as exc:
                self.discard(write)
                raise RecordInvalid(write.store, write.received + exc.index, exc.record_id, exc.problem,
                                    what="write") from None
            except BaseException:
                self.discard(write)
                raise
            count = batch.num_rows
            if count:
                # `ord` becomes the record's place in the whole write.
                batch = batch.set_column(2, "ord", pc.add(batch.column("ord"), pa.scalar(write.staged, pa.int64())))
                path = write.folder / f"{len(write.files):06d}.arrow"
                try:
                    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, batch.schema) as writer:
                        writer.write_table(batch)
                except BaseException:
                    self.discard(write)
                    raise
                write.files.append((path, count))
            write.received += len(records)
            write.staged += count
            write.touched_at = time.monotonic()
            return {"received": len(records), "staged": write.received}

    def take(self, write: StagedWrite) -> None:
        """Mark the write as being committed: no more batches, not abandoned meanwhile."""
        with write.lock:
            if write.done:
                raise WriteNotFound(write.store, write.write_id)
            write.done = True

    def discard(self, write: StagedWrite) -> None:
        """Forget the write and delete its files (after a commit, an abort or a refusal)."""
        write.done = True
        with self._lock:
            self._open.pop(write.write_id, None)
        shutil.rmtree(write.folder, ignore_errors=True)

    def remove_abandoned(self, max_idle_s: float = ABANDONED_AFTER_S) -> list[str]:
        """Delete writes that received no batch for `max_idle_s`; returns their ids."""
        now = time.monotonic()
        with self._lock:
            idle = [w for w in self._open.values() if now - w.touched_at > max_idle_s]
        removed = []
        for write in idle:
            if write.lock.acquire(blocking=False):  # one being staged or committed is not idle
                try:
                    if not write.done:
                        self.discard(write)
                        removed.append(write.write_id)
                finally:
                    write.lock.release()
        for write_id in removed:
            log.info("removed staged write %s: no batch for %.0f s", write_id, max_idle_s)
        return removed

    def close(self) -> None:
        with self._lock:
            writes = list(self._open.values())
        for write in writes:
            self.discard(write)

    @staticmethod
    def chunks(con: duckdb.DuckDBPyConnection, write: StagedWrite) -> tuple[Iterator[str], int]:
        """The write's records as relations for `shared.upsert_chunks`, and how many records
        (unique ids) they hold. Run on the connection that will commit."""
        paths = [str(path) for path, _ in write.files]
        if not paths:
            return iter(()), 0
        con.register(_CHUNK_VIEW, ds.dataset(paths, format="ipc"))
        try:
            # Different ids hash alike only by accident: equal counts prove the ids unique;
            # a shortfall (a repeated id, or a collision) takes the exact way below.
            distinct = con.execute(f"SELECT count(DISTINCT hash(id)) FROM {_CHUNK_VIEW}").fetchall()[0][0]
        finally:
            con.unregister(_CHUNK_VIEW)
        if distinct == write.staged:
            return _file_chunks(con, write), write.staged
        return _deduplicated_chunks(con, paths)


def _file_chunks(con: duckdb.DuckDBPyConnection, write: StagedWrite) -> Iterator[str]:
    group: list[str] = []
    size = 0
    for index, (path, count) in enumerate(write.files):
        group.append(str(path))
        size += count
        if size >= CHUNK_RECORDS or index == len(write.files) - 1:
            con.register(_CHUNK_VIEW, ds.dataset(group, format="ipc"))
            try:
                yield _CHUNK_VIEW
            finally:
                con.unregister(_CHUNK_VIEW)
            group, size = [], 0


def _deduplicated_chunks(con: duckdb.DuckDBPyConnection, paths: list[str]) -> tuple[Iterator[str], int]:
    """An id in several batches: its last version, at the place of its first appearance,
    renumbered 0..n-1 — `check_records`'s rule over the whole write. A temporary table
    (DuckDB spills it to its temp directory under the memory limit), dropped by
    `drop_temporary` once the commit is over."""
    con.register(_CHUNK_VIEW, ds.dataset(paths, format="ipc"))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_DEDUPED} AS "
                    f"SELECT id, data, (row_number() OVER (ORDER BY first_ord) - 1)::BIGINT AS ord FROM ("
                    f"  SELECT id, arg_max(data, ord) AS data, min(ord) AS first_ord FROM {_CHUNK_VIEW} GROUP BY id)")
    finally:
        con.unregister(_CHUNK_VIEW)
    count = con.execute(f"SELECT count(*) FROM {_DEDUPED}").fetchall()[0][0]

    chunks = (f"(SELECT id, data, ord FROM {_DEDUPED} WHERE ord >= {int(low)} AND ord < {int(low + CHUNK_RECORDS)})"
              for low in range(0, count, CHUNK_RECORDS))
    return chunks, int(count)


def drop_temporary(con: duckdb.DuckDBPyConnection) -> None:
    """After a commit (or its failure): the deduplicated copy, if one was made."""
    con.execute(f"DROP TABLE IF EXISTS temp.{_DEDUPED}")
