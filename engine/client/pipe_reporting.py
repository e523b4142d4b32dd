"""A forked run's side of reporting through its run host's pipe (issue 15): the run's
events and its small run-data parts, as JSON lines on a pipe the host reads
(engine/execution/run_host.py), no HTTP and no waiting for the API.

Why: every report over HTTP cost the run ~2 ms of CPU in httpx and the API a request
(FastAPI, middleware, auth) on top of its DuckDB transaction; a pipe write is one system
call. The host tags each line with the run id *it* knows for this child and forwards it
to the launcher in the API process, which applies it with the route's own code
(RunService.apply_reports), in the order written: a node's start and its data arrive
before the run's end, and the run's end before the host reports its process exited.

Lines (the host takes only these fields; anything else on the line is ignored):
- `{"events": [{event, data}, …]}` — a batch of events, as the HTTP route takes them;
- `{"part": {"node_id", "part", "data"}}` — one Arrow IPC part of a node's output,
  base64 (parts up to `PIPE_PART_BYTES`; bigger ones are PUT over HTTP as before).

One writer lock per process keeps each line whole on the pipe (a line longer than
PIPE_BUF is written in several system calls, so only one thread may write at a time).
The pipe is O_CLOEXEC: programs a node starts do not inherit it.
"""

from __future__ import annotations

import base64
import os
import threading
from typing import Any, Callable, Iterator

from engine.client.reporting import BatchedRunObserver
from engine.client.run_data_client import HttpRunData
from engine.model import json_bytes

PIPE_PART_BYTES = 256 * 1024  # run-data parts up to this size go through the pipe


class ReportPipe:
    """The write end of this run's pipe to its host, one whole line at a time."""

    def __init__(self, fd: int):
        self._fd = fd
        self._lock = threading.Lock()

    def write(self, message: dict[str, Any]) -> None:
        self.write_line(json_bytes.dumps(message))

    def write_line(self, line: bytes) -> None:
        """One JSON object (no newline in it: orjson never writes one)."""
        view = memoryview(line + b"\n")
        with self._lock:
            while view:  # a blocking pipe: a long line may take several writes
                view = view[os.write(self._fd, view):]


class PipeRunObserver(BatchedRunObserver):
    """The batches of events of `BatchedRunObserver`, written to the run host's pipe."""

    def __init__(self, pipe: ReportPipe, finish_fields: Callable[[], dict[str, Any]] | None = None):
        super().__init__(finish_fields)
        self._pipe = pipe

    def _send(self, run_id: str, body: bytes) -> None:
        self._pipe.write_line(body)  # `{"events": [...]}`: the host adds the run id


class PipeRunData:
    """A run's data sink: small parts through the pipe, bigger ones and reads over HTTP
    (`HttpRunData`, made only when first needed: most runs never need it)."""

    def __init__(self, pipe: ReportPipe, http: Callable[[], HttpRunData]):
        self._pipe = pipe
        self._make_http = http
        self._http: HttpRunData | None = None
        self._http_lock = threading.Lock()

    def _client(self) -> HttpRunData:
        with self._http_lock:
            if self._http is None:
                self._http = self._make_http()
            return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def write_part(self, run_id: str, node_id: str, part: int, data: bytes) -> None:
        if len(data) > PIPE_PART_BYTES:
            self._client().write_part(run_id, node_id, part, data)
            return
        self._pipe.write({"part": {"node_id": node_id, "part": part, "data": base64.b64encode(data).decode("ascii")}})

    def read_output(self, run_id: str, node_id: str) -> list[dict[str, Any]]:
        return self._client().read_output(run_id, node_id)

    def output_lines(self, run_id: str, node_id: str) -> Iterator[bytes]:
        return self._client().output_lines(run_id, node_id)
