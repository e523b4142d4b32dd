"""Keeping every record a node puts out, off the hot path (issue 16 part 1), batch by batch.

The executor feeds a node's output to the writer as it is produced (`RunDataWriter.output`
→ `OutputFeed.add`, once per batch of engine/execution/record_spool.py): each batch
arrives as its records' JSON lines, encoded before the next node can change the records
in place. A writer thread gathers the lines into Arrow IPC parts of ~4 MB
(engine/model/run_data_files.py) and hands each to the run's `RunDataSink` as it fills:
- in a run process, `engine.client.run_data_client.HttpRunData`: uploads to the API,
  which writes `run-data/<run id>/` (the run process is sandboxed without the data
  folder, and its run token may write only its own run's data);
- in `wirework run` without a server, `LocalRunData`: the files, directly.

The queue between them is bounded (`QUEUE_BATCHES`): a node that produces faster than its
data is stored waits, so no whole output ever sits in the queue. When the run resolved
secrets the writer masks them in the records (decoding and re-encoding each batch); when
it has none, the lines go to the parts as they came. A node's first part is sent only at
the output's end, so an output under one part is kept whole or (the node failed) not at
all; a failed node's bigger output may leave the parts sent before it failed.

`close` waits for the queue before the run reports its end, so once a run has ended all
its data can be read. A part that cannot be stored is logged and lost; it never fails
the run.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Protocol

import orjson

from engine.config.paths import run_data_dir
from engine.model import json_bytes, run_data_files

log = logging.getLogger("wirework.run_data")
_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
CLOSE_TIMEOUT_S = 300.0
# Parts of ~4 MB (not run_data_files' 16): encoding a part holds a few copies of it, and
# this runs beside the node in a process whose memory is meant to stay flat.
PART_BYTES = 4 * 1024 * 1024
QUEUE_BATCHES = 8  # batches (~1 MB of JSON each at 10,000 short records) waiting to be stored


class RunDataSink(Protocol):
    def write_part(self, run_id: str, node_id: str, part: int, data: bytes) -> None: ...
    def read_output(self, run_id: str, node_id: str) -> list[dict[str, Any]]: ...
    def output_lines(self, run_id: str, node_id: str) -> Iterator[bytes]: ...


def dumps_records(records: list[Any]) -> bytes:
    """The snapshot of an output: anything JSON cannot say becomes its `str` (as in a sample)."""
    return json_bytes.dumps(records, option=_DUMP_OPTIONS)


class LocalRunData:
    """A run's data written straight into the data folder (the process owns it)."""

    def __init__(self, home: Path):
        self.home = Path(home)

    def write_part(self, run_id: str, node_id: str, part: int, data: bytes) -> None:
        run_data_files.write_part(run_data_dir(self.home, run_id), node_id, part, data)

    def read_output(self, run_id: str, node_id: str) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.output_lines(run_id, node_id)]

    def output_lines(self, run_id: str, node_id: str) -> Iterator[bytes]:
        files = run_data_files.RecordFiles(run_data_files.output_parts(run_data_dir(self.home, run_id), node_id))
        yield from files.lines()


class OutputFeed:
    """One node's output on its way to the run data (see the module docstring)."""

    def __init__(self, writer: "RunDataWriter", node_id: str):
        self.writer = writer
        self.node_id = node_id
        self.broken = False  # a batch could not be encoded: the rest of this output is not kept
        # Writer-thread state:
        self.lines: list[bytes] = []  # the batches (JSON lines) of the part being filled
        self.size = 0
        self.part = 0
        self.first: bytes | None = None  # part 0, held until the end

    def add(self, records: list[Any] | None, lines: bytes | None) -> None:
        """A batch: its JSON lines (as record_spool encodes them) or, when JSON could not
        encode it exactly, its records (encoded here, the way a sample is)."""
        if self.broken:
            return
        if lines is None:
            try:
                lines = b"\n".join([json_bytes.dumps(r, option=_DUMP_OPTIONS) for r in records or []])
            except (TypeError, orjson.JSONEncodeError) as exc:  # e.g. a circular structure
                log.warning('run %s: the output of node "%s" is not kept: %s', self.writer.run_id, self.node_id, exc)
                self.broken = True
                return
        self.writer._put(("add", self, lines))

    def end(self) -> None:
        if not self.broken:
            self.writer._put(("end", self, b""))

    def discard(self) -> None:
        """The node failed: what is still held of its output is dropped."""
        self.writer._put(("discard", self, b""))


class RunDataWriter:
    def __init__(self, run_id: str, sink: RunDataSink, mask: Any = None, max_queued: int = QUEUE_BATCHES):
        self.run_id = run_id
        self.sink = sink
        self.mask = mask  # the run's SecretMask: it grows while the run resolves secrets
        self._queue: queue.Queue[tuple[str, OutputFeed, bytes] | None] = queue.Queue(max_queued)
        self._thread = threading.Thread(target=self._work, name=f"run-data-{run_id[:8]}", daemon=True)
        self._thread.start()

    def output(self, node_id: str) -> OutputFeed:
        return OutputFeed(self, node_id)

    def submit(self, node_id: str, records: list[Any]) -> None:
        """A whole output at once."""
        feed = self.output(node_id)
        for start in range(0, len(records), 10_000):
            feed.add(records[start:start + 10_000], None)
        feed.end()

    def _put(self, item: tuple[str, OutputFeed, bytes]) -> None:
        self._queue.put(item)  # blocks while the queue is full: the producing node waits

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Wait until everything submitted is stored (or `timeout_s` passed)."""
        self._queue.put(None)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("run %s: its run data was still being stored after %.0f s; the rest is lost",
                        self.run_id, timeout_s)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            op, feed, lines = item
            started = time.monotonic()
            try:
                if op == "add":
                    self._add(feed, lines)
                elif op == "end":
                    self._end(feed)
                else:
                    feed.lines, feed.size, feed.first = [], 0, None
            except Exception as exc:  # keeping the data is reporting, never the run's failure
                feed.broken = True
                feed.lines, feed.first = [], None
                log.warning('run %s: the output of node "%s" could not be kept: %s: %s', self.run_id, feed.node_id,
                            type(exc).__name__, exc)
            else:
                log.debug('run %s: %s of "%s" in %.3f s', self.run_id, op, feed.node_id, time.monotonic() - started)

    def _add(self, feed: OutputFeed, blob: bytes) -> None:
        if feed.broken or not blob:
            return
        if self.mask:
            records = self.mask.value(orjson.loads(b"[" + blob.replace(b"\n", b",") + b"]"))
            blob = b"\n".join([json_bytes.dumps(record, option=_DUMP_OPTIONS) for record in records])
        # Kept as the batch's bytes (split into lines only when its part is encoded): no
        # decoding, no re-encoding, and no object per record while the part fills.
        feed.lines.append(blob)
        feed.size += len(blob)
        if feed.size >= PART_BYTES:
            self._flush(feed)

    def _flush(self, feed: OutputFeed) -> None:
        data = run_data_files.encode_blob_part(feed.lines)
        feed.lines, feed.size = [], 0
        if feed.part == 0:
            feed.first = data
        else:
            self.sink.write_part(self.run_id, feed.node_id, feed.part, data)
        feed.part += 1

    def _end(self, feed: OutputFeed) -> None:
        if feed.broken:
            return
        if feed.lines or feed.part == 0:  # an empty output is one empty part ("ran, put out nothing")
            self._flush(feed)
        if feed.first is not None:
            self.sink.write_part(self.run_id, feed.node_id, 0, feed.first)
            feed.first = None
