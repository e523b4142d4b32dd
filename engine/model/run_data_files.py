"""The files of a run's data: every record each node put out, in the data folder.

Layout: `run-data/<run id>/<node id>/output.<part>.arrow` (the run's folder is
`engine.config.paths.run_data_dir`; functions here take it).
Each part is an Arrow IPC *file* with one column, `record`: the record as JSON text
(orjson), in record batches of `BATCH_ROWS` rows, so a page at offset 900 of 1,000 reads
one batch of a memory-mapped file and parses only the records it returns. Records are
arbitrary JSON (fields whose type differs from record to record, nested values), so
they are kept as JSON, exactly as the node produced them; typed columns are made only
for a download (engine/server/services/run_data.py). A node's output is cut into parts
of about `PART_BYTES`, each its own upload within the API's body limit.

Only outputs are stored: a node's input is the concatenation of its upstream nodes'
outputs in edge order (engine/model/run_plan.py), or the trigger record for a first node.

Writers: the API process for runs in worker processes (their uploads), `wirework run`
without a server for its own runs. Every part is written to a temporary name and renamed,
so a reader never sees half a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from stores import Invalid

RECORD_COLUMN = "record"
BATCH_ROWS = 1000
PART_BYTES = 16 * 1024 * 1024
SIDES = ("output",)  # what is stored per node (inputs are derived)
MEDIA_TYPE = "application/vnd.apache.arrow.file"
_SCHEMA = pa.schema([pa.field(RECORD_COLUMN, pa.string())])
_PART = re.compile(r"^output\.(\d{1,6})\.arrow$")
# Node ids are URL-safe and never "." or ".." (engine/model/workflow.py NODE_ID_PATTERN).
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


PART_NUMBER_RULE = "a part number is 0 to 999999"  # six digits: output.NNNNNN.arrow (_PART)


def is_part_number(part: object) -> bool:
    """Whether `part` numbers a node output's part (an int of at most six digits)."""
    return type(part) is int and 0 <= part < 1_000_000


class RunDataInvalid(Invalid):
    kind = "invalid_run_data"


def node_dir(run_folder: Path, node_id: str) -> Path:
    """`run_folder`: the run's folder, `engine.config.paths.run_data_dir(home, run_id)`."""
    if not _RUN_ID.match(run_folder.name) or not _NODE_ID.match(node_id):
        raise RunDataInvalid(f'no run data for run "{run_folder.name}", node "{node_id}": not a run or node id')
    return run_folder / node_id


def encode_parts(lines: list[bytes], part_bytes: int = PART_BYTES) -> Iterator[bytes]:
    """The Arrow IPC files of one node's output, given each record as JSON bytes; at least
    one part (an empty output is an empty file, so "ran and put out nothing" is on disk)."""
    start, size = 0, 0
    for index, line in enumerate(lines):
        size += len(line)
        if size >= part_bytes:
            yield _encode(lines[start:index + 1])
            start, size = index + 1, 0
    if start < len(lines) or start == 0:
        yield _encode(lines[start:])


def encode_part(lines: list[bytes]) -> bytes:
    """One Arrow IPC part holding these records' JSON."""
    return _encode(lines)


def encode_blob_part(blobs: list[bytes]) -> bytes:
    """One Arrow IPC part from batches of records' JSON, one per line in each batch, split
    by Arrow itself: no Python object per record (a run's big outputs pass through here)."""
    pieces = [pc.split_pattern(pa.array([blob], pa.large_binary()), pattern=b"\n").flatten().cast(pa.large_string())
              for blob in blobs if blob]
    column = pa.concat_arrays(pieces).cast(pa.string()) if pieces else pa.array([], pa.string())
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, _SCHEMA) as writer:
        for start in range(0, len(column), BATCH_ROWS):
            writer.write_batch(pa.record_batch([column.slice(start, BATCH_ROWS)], schema=_SCHEMA))
    return sink.getvalue().to_pybytes()


def _encode(lines: list[bytes]) -> bytes:
    sink = pa.BufferOutputStream()
    with ipc.new_file(sink, _SCHEMA) as writer:
        for start in range(0, len(lines), BATCH_ROWS):
            chunk = pa.array(lines[start:start + BATCH_ROWS], type=pa.string())
            writer.write_batch(pa.record_batch([chunk], schema=_SCHEMA))
    return sink.getvalue().to_pybytes()


def check_part(data: bytes) -> int:
    """The number of records of an uploaded part; refuses anything but one of our files."""
    try:
        reader = ipc.open_file(pa.BufferReader(data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise RunDataInvalid(f"not an Arrow IPC file: {exc}") from None
    if not reader.schema.equals(_SCHEMA):
        raise RunDataInvalid(f"a run data part has one string column {RECORD_COLUMN!r}, not {reader.schema}")
    return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


def write_part(run_folder: Path, node_id: str, part: int, data: bytes) -> Path:
    folder = node_dir(run_folder, node_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / f"output.{part:06d}.arrow"
    temporary = folder / f".output.{part:06d}.{os.getpid()}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return target


def write_output(run_folder: Path, node_id: str, lines: list[bytes]) -> None:
    """All of a node's output at once."""
    for part, data in enumerate(encode_parts(lines)):
        write_part(run_folder, node_id, part, data)


def output_parts(run_folder: Path, node_id: str) -> list[Path]:
    """The node's output files in order; empty when it has none (it did not run, or its run
    data was pruned)."""
    try:
        folder = node_dir(run_folder, node_id)
        names = os.listdir(folder)
    except (RunDataInvalid, FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in sorted(n for n in names if _PART.match(n))]


class RecordFiles:
    """A sequence of records spread over part files (one node's output, or the outputs a
    node received, one after another), read by offset without loading the rest."""

    def __init__(self, paths: Iterable[Path], leading: list[bytes] | None = None):
        self._leading = leading or []  # records that are not in a file (the trigger record)
        self._readers = [ipc.open_file(pa.memory_map(str(path))) for path in paths]

    def total(self) -> int:
        return len(self._leading) + sum(
            reader.get_batch(i).num_rows for reader in self._readers for i in range(reader.num_record_batches))

    def lines(self, offset: int = 0, limit: int | None = None) -> Iterator[bytes]:
        """Each record's JSON, from `offset`, at most `limit` of them."""
        remaining = limit if limit is not None else -1
        for line in self._leading:
            if remaining == 0:
                return
            if offset > 0:
                offset -= 1
                continue
            yield line
            remaining -= 1
        for reader in self._readers:
            for index in range(reader.num_record_batches):
                if remaining == 0:
                    return
                batch = reader.get_batch(index)
                if offset >= batch.num_rows:
                    offset -= batch.num_rows
                    continue
                column = batch.column(0)
                stop = batch.num_rows if remaining < 0 else min(batch.num_rows, offset + remaining)
                for value in column.slice(offset, stop - offset).to_pylist():
                    yield value.encode()
                remaining -= 0 if remaining < 0 else stop - offset
                offset = 0
