"""Keeping every record a node puts out, off the hot path (issue 16 part 1).

At a node's end the executor hands its output to `RunDataWriter.submit`, which takes a
snapshot of it — one `orjson.dumps` of the list, in the node's own thread, because the
downstream node may change the records in place as soon as it starts — and queues it.
A writer thread then masks the run's secrets in it (as in every sample, log and error a
run leaves), encodes it as Arrow IPC parts (engine/model/run_data_files.py) and hands
them to the run's `RunDataSink`:
- in a run process, `engine.client.run_data_client.HttpRunData`: uploads to the API,
  which writes `run-data/<run id>/` (the run process is sandboxed without the data
  folder, and its run token may write only its own run's data);
- in `wirework run` without a server, `LocalRunData`: the files, directly.

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
from typing import Any, Protocol

import orjson

from engine.config.paths import run_data_dir
from engine.model import json_bytes, run_data_files

log = logging.getLogger("wirework.run_data")
_DUMP_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
CLOSE_TIMEOUT_S = 300.0


class RunDataSink(Protocol):
    def write_part(self, run_id: str, node_id: str, part: int, data: bytes) -> None: ...
    def read_output(self, run_id: str, node_id: str) -> list[dict[str, Any]]: ...


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
        files = run_data_files.RecordFiles(run_data_files.output_parts(run_data_dir(self.home, run_id), node_id))
        return [orjson.loads(line) for line in files.lines()]


class RunDataWriter:
    def __init__(self, run_id: str, sink: RunDataSink, mask: Any = None):
        self.run_id = run_id
        self.sink = sink
        self.mask = mask  # the run's SecretMask: it grows while the run resolves secrets
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._work, name=f"run-data-{run_id[:8]}", daemon=True)
        self._thread.start()

    def submit(self, node_id: str, records: list[Any]) -> None:
        try:
            blob = dumps_records(records)
        except (TypeError, orjson.JSONEncodeError) as exc:  # e.g. a circular structure
            log.warning('run %s: the output of node "%s" is not kept: %s', self.run_id, node_id, exc)
            return
        self._queue.put((node_id, blob))

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
            node_id, blob = item
            started = time.monotonic()
            try:
                self._store(node_id, blob)
            except Exception as exc:  # keeping the data is reporting, never the run's failure
                log.warning('run %s: the output of node "%s" could not be kept: %s: %s', self.run_id, node_id,
                            type(exc).__name__, exc)
            else:
                log.debug('run %s: output of "%s" kept in %.3f s', self.run_id, node_id, time.monotonic() - started)

    def _store(self, node_id: str, blob: bytes) -> None:
        records = orjson.loads(blob)
        if self.mask:
            records = self.mask.value(records)
        lines = [json_bytes.dumps(record, option=_DUMP_OPTIONS) for record in records]
        for part, data in enumerate(run_data_files.encode_parts(lines)):
            self.sink.write_part(self.run_id, node_id, part, data)
