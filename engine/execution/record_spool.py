"""A node's output as record batches: in memory up to a limit, on disk beyond it (issue 20 part 3).

`RecordSpool` holds one node's output. `put` takes a batch (the executor cuts outputs
into batches of `BATCH_RECORDS`), encodes every record once as a JSON line (that encoding
is also what the run data keeps, engine/execution/run_data.py) and keeps the batch:
- while the output's estimated size is under `WIREWORK_SPILL_MB` (default 64; the
  estimate is its JSON size × `PYTHON_BYTES_PER_JSON_BYTE`, what a decoded record costs
  here), in memory — the batch itself for a single consumer, its JSON lines when several
  consumers each need a copy of their own;
- after that, appended to a spill file (JSON lines; measured faster to write and to read
  back than Arrow IPC, which would wrap the same lines) in the run's scratch folder — a
  file without a name (`O_TMPFILE`), so another run of the same run host, which shares
  the scratch bind, cannot open it, and a killed run's leaves nothing on disk.

Every consumer reads the batches in order through `reader(index)`, a `RecordBatches`
that can be iterated again from the start. Consumers after the first never see the
first's objects: each gets a copy made before anyone read the batch (decoded from the
JSON lines, or a deep copy of a batch JSON cannot encode), so a map that mutates its
records in place cannot leak into a sibling branch.

What travels as JSON comes back as JSON: a spilled tuple is a list, a UUID its text. A
batch JSON cannot hold exactly (a datetime, an integer beyond 64 bits, a set, a record
that contains itself) never goes to disk: it stays in memory as it is.

The scratch folder (`scratch_root`): `WIREWORK_SCRATCH` (the run host's, made by
`prepare_scratch` inside the `WIREWORK_SCRATCH` the server was given, and bound into its
sandbox: engine/server/app.py,
engine/cli/remote_worker.py), else `$WIREWORK_HOME/scratch` (`wirework run`, unsandboxed),
else the system's temp folder. Each run writes only `<scratch>/<run id>/`, removed at the
run's end (`RunScratch.remove`), and by the run host when a run's process exited without
doing so (a crash, a kill).
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import orjson

Record = dict[str, Any]
BATCH_RECORDS = 10_000
SPILL_ENV = "WIREWORK_SPILL_MB"
DEFAULT_SPILL_MB = 64
SCRATCH_ENV = "WIREWORK_SCRATCH"
# Measured: a decoded record of a few short fields costs ~3.9 bytes of Python objects per
# byte of its JSON (370 B vs 95 B).
PYTHON_BYTES_PER_JSON_BYTE = 4
# Values orjson would turn into something else (a datetime into its text): refused, so the
# batch stays in memory exactly as the node made it.
_LINE_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS

_NEWLINE = orjson.Fragment(b"\n")

# What `on_batch` receives: the batch's records (None when only its JSON lines are at
# hand), its JSON lines (None when JSON cannot encode it exactly) and its record count.
BatchHook = Callable[[list[Record] | None, bytes | None, int], None]


# glibc mallopt parameters (malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 256 * 1024


def return_big_buffers_to_the_system() -> None:
    """Make glibc give every buffer of 256 KB or more its own mapping, returned when freed,
    and Arrow allocate through glibc too (its default pool, mimalloc, kept ~100 MB of
    freed run data parts).

    A run's big buffers come and go all the time (a batch's JSON ~1 MB, a run data part
    16 MB, a store request 8 MB), on several threads. glibc raises its mmap threshold each
    time such a buffer is freed, after which they are carved from per-thread heaps that
    fragment and never shrink: a 10,000,000-record run grew its process by ~300 MB that
    way at the end. A fixed threshold (and two arenas) keeps them out of the heaps.
    Called once in the run host, before it forks runs; no-op off glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_ARENA_MAX, 2)
    except (OSError, AttributeError):
        pass
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


def spill_limit_bytes(environ: Any = os.environ) -> int:
    raw = str(environ.get(SPILL_ENV, "")).strip()
    try:
        mb = float(raw) if raw else DEFAULT_SPILL_MB
    except ValueError:
        mb = DEFAULT_SPILL_MB
    return max(0, int(mb * 1024 * 1024))


def scratch_root(environ: Any = os.environ) -> Path:
    if environ.get(SCRATCH_ENV):
        return Path(environ[SCRATCH_ENV])
    if environ.get("WIREWORK_HOME"):
        return Path(environ["WIREWORK_HOME"]) / "scratch"
    return Path(tempfile.gettempdir()) / "wirework-scratch"


def encode_lines(batch: list[Record]) -> bytes | None:
    """The batch as JSON lines (one record per line: JSON never holds a raw newline), or
    None when JSON cannot encode it exactly.

    One `orjson.dumps` of the whole batch with a raw newline (`orjson.Fragment`) between
    the records, which no encoded value can contain: measured ~30x faster than one call
    per record (3.5 ms vs 100–150 ms for 10,000 short records)."""
    if not batch:
        return b""
    items: list[Any] = [_NEWLINE] * (2 * len(batch) - 1)
    items[::2] = batch
    try:
        return orjson.dumps(items, option=_LINE_OPTIONS)[1:-1].replace(b",\n,", b"\n")
    except (TypeError, orjson.JSONEncodeError):
        return None


def decode_lines(lines: bytes) -> list[Record]:
    """Records from `encode_lines` output, in one parse (the lines made one JSON array)."""
    if not lines:
        return []
    return orjson.loads(b"[" + lines.replace(b"\n", b",") + b"]")


def chunks(records: list[Record], size: int = BATCH_RECORDS) -> Iterator[list[Record]]:
    if len(records) <= size:
        if records:
            yield records
        return
    for start in range(0, len(records), size):
        yield records[start:start + size]


def prepare_scratch(environ: Any = os.environ) -> Path:
    """A new scratch folder for a run host's runs: inside `WIREWORK_SCRATCH` when set (e.g.
    a big disk), else /var/tmp — on disk, not the tmpfs /tmp often is, and outside the
    data folder (the sandbox hides it: a mount point there would show in it). Removed
    when this process exits."""
    base = environ.get(SCRATCH_ENV) or ("/var/tmp" if os.access("/var/tmp", os.W_OK) else None)
    if base:
        Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="wirework-scratch-", dir=base))
    atexit.register(shutil.rmtree, folder, True)
    return folder


class RunScratch:
    """The run's scratch folder `<root>/<run id>/`, created at the first spill."""

    def __init__(self, run_id: str, root: Path | None = None):
        self.path = (root or scratch_root()) / run_id
        self._lock = threading.Lock()
        self._next = 0

    def new_file(self, stem: str) -> Path:
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._next += 1
            return self.path / f"{stem}.{self._next}.jsonl"

    def new_unnamed_file(self, stem: str) -> int:
        """An open file in the run's folder that has no name: the runs of one run host
        share the scratch bind, and a file nobody can open by a path cannot be read by
        another run (nor outlive a run the kernel kills: it goes with its last fd).
        `O_TMPFILE` where the filesystem has it, else a named file unlinked at once."""
        flags = getattr(os, "O_TMPFILE", 0)
        if flags:
            with self._lock:
                self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                return os.open(self.path, flags | os.O_RDWR, 0o600)
            except OSError:
                pass  # e.g. a filesystem without O_TMPFILE support
        path = self.new_file(stem)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.unlink(path)
        return fd

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class RecordSpool:
    """One node's output (see the module docstring). Filled by one thread (the node's),
    then read by its consumers, possibly at once (reads use `os.pread`: no shared offset)."""

    def __init__(self, scratch: RunScratch, name: str, consumers: int, limit_bytes: int | None = None,
                 on_batch: BatchHook | None = None):
        self.scratch = scratch
        self.name = name
        self.consumers = consumers
        self.limit = spill_limit_bytes() if limit_bytes is None else limit_bytes
        self.on_batch = on_batch
        self.feed: Any = None  # the run data feed `on_batch` fills, ended by the executor (run_data.OutputFeed)
        self.count = 0
        self.memory = 0  # estimated bytes held in memory
        self.spilled_batches = 0
        # ("list", [a list per consumer], n) | ("lines", bytes, n) | ("disk", offset, length, n)
        self._items: list[tuple] = []
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._released: set[int] = set()
        self._release_lock = threading.Lock()  # consumers on parallel branches finish at once

    def __len__(self) -> int:
        return self.count

    @property
    def on_disk_bytes(self) -> int:
        """Bytes of this output in its spill file now (0 once every consumer is done)."""
        return self._size if self._fd is not None else 0

    # --- filling -------------------------------------------------------------------------
    def put(self, batch: list[Record]) -> None:
        if not batch:
            return
        lines = encode_lines(batch)
        if self.on_batch is not None:
            self.on_batch(batch, lines, len(batch))
        self.count += len(batch)
        if self.consumers == 0:
            return  # nobody reads it: counted (and kept as run data) only
        if lines is None:  # JSON cannot hold it exactly: in memory as it is, a deep copy per extra consumer
            self._items.append(("list", [batch] + [copy.deepcopy(batch) for _ in range(self.consumers - 1)],
                                len(batch)))
            return
        if self.consumers == 1 and not self.spilled_batches and self._fits(len(lines) * PYTHON_BYTES_PER_JSON_BYTE):
            self._items.append(("list", [batch], len(batch)))
            return
        self._keep_lines(lines, len(batch))

    def put_lines(self, lines: bytes, count: int, records: list[Record] | None = None) -> None:
        """A batch given as JSON lines (from another spool or the run data), not decoded
        unless a consumer reads it."""
        if not count:
            return
        if self.on_batch is not None:
            self.on_batch(records, lines, count)
        self.count += count
        if self.consumers:
            self._keep_lines(lines, count)

    def _fits(self, size: int) -> bool:
        if self.memory + size <= self.limit:
            self.memory += size
            return True
        return False

    def _keep_lines(self, lines: bytes, count: int) -> None:
        if not self.spilled_batches and self._fits(len(lines)):
            self._items.append(("lines", lines, count))
            return
        if self._fd is None:
            self._path = self.scratch.path  # for messages: the file itself has no name
            self._fd = self.scratch.new_unnamed_file(self.name)
        offset = self._size
        view = memoryview(lines)
        while view:
            written = os.pwrite(self._fd, view, self._size)
            self._size += written
            view = view[written:]
        self._items.append(("disk", offset, len(lines), count))
        self.spilled_batches += 1

    # --- reading -------------------------------------------------------------------------
    def reader(self, index: int) -> "RecordBatches":
        return RecordBatches([(self, index)], self.count)

    def _batches(self, index: int) -> Iterator[list[Record]]:
        for kind, *rest in list(self._items):
            if kind == "list":
                yield rest[0][index]
            else:
                yield decode_lines(rest[0] if kind == "lines" else self._read(rest[0], rest[1]))

    def _raw(self, index: int) -> Iterator[tuple[list[Record] | None, bytes | None, int]]:
        for kind, *rest in list(self._items):
            if kind == "list":
                yield rest[0][index], None, rest[1]
            elif kind == "lines":
                yield None, rest[0], rest[1]
            else:
                yield None, self._read(rest[0], rest[1]), rest[2]

    def _read(self, offset: int, length: int) -> bytes:
        assert self._fd is not None
        parts, done = [], 0
        while done < length:
            part = os.pread(self._fd, length - done, offset + done)
            if not part:
                raise OSError(f"spill file {self._path} ended early")
            parts.append(part)
            done += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    # --- the end -------------------------------------------------------------------------
    def release(self, index: int) -> None:
        """Consumer `index` is done with it; once every consumer is, its memory and spill file go."""
        with self._release_lock:
            self._released.add(index)
            if len(self._released) >= self.consumers:
                self.close()

    def close(self) -> None:
        self._items = []
        self.memory = 0
        if self._fd is not None:
            os.close(self._fd)  # the unnamed file's blocks go with its last descriptor
            self._fd = None


class RecordBatches:
    """What a node receives: its input records as batches, in order — the concatenation of
    its upstream outputs (each through this consumer's own reader) or a list. Iterating it
    again reads it again from the start; `len` is the number of records."""

    def __init__(self, sources: list[tuple[RecordSpool, int] | list[Record]], count: int | None = None):
        self._sources = sources
        self._count = count if count is not None else sum(
            len(s) if isinstance(s, list) else s[0].count for s in sources)

    @classmethod
    def of(cls, records: list[Record]) -> "RecordBatches":
        return cls([records], len(records))

    @classmethod
    def concat(cls, parts: Iterable["RecordBatches"]) -> "RecordBatches":
        sources: list[tuple[RecordSpool, int] | list[Record]] = []
        for part in parts:
            sources.extend(part._sources)
        return cls(sources)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[list[Record]]:
        for source in self._sources:
            if isinstance(source, list):
                yield from chunks(source)
            else:
                yield from source[0]._batches(source[1])

    def raw(self) -> Iterator[tuple[list[Record] | None, bytes | None, int]]:
        """(records or None, JSON lines or None, count) per batch: spilled batches are not decoded."""
        for source in self._sources:
            if isinstance(source, list):
                for chunk in chunks(source):
                    yield chunk, None, len(chunk)
            else:
                yield from source[0]._raw(source[1])

    def records(self) -> list[Record]:
        """Everything at once (what `NodeType.run` receives)."""
        if len(self._sources) == 1 and isinstance(self._sources[0], list):
            return self._sources[0]
        out: list[Record] = []
        for batch in self:
            out.extend(batch)
        return out

    def release(self) -> None:
        for source in self._sources:
            if not isinstance(source, list):
                source[0].release(source[1])
