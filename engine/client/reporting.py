"""The worker side of run reporting: a RunObserver that sends events to the API.

A flow run in a worker process never opens the app database (the API process owns
it); it sends its events, in batches, to the API, which writes them and streams them to
the editor: over HTTP to the internal route here (`HttpRunObserver`), or through its run
host's pipe (engine/client/pipe_reporting.py, a forked run).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from datetime import datetime
from typing import Any, Callable

import httpx

from engine.client.tls import shared_ssl_context
from engine.model import json_bytes
from engine.model.runs import NodeResult, RunInfo

SEND_ATTEMPTS = 4


def auth_headers(token: str) -> dict[str, str]:
    """How run processes authenticate to the API: their run token as a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def encode_event(event: str, data: dict[str, Any]) -> bytes:
    return json_bytes.dumps({"event": event, "data": data})


class BatchedRunObserver:
    """A run's events, several per message: what to send is decided here, how it travels by
    the subclass (`_send`, called under the lock, in order).

    `run_started` and `node_finished` wait in a queue; `node_started` and `run_finished`
    send the queue, themselves last, as one message (`{"events": [...]}`, applied in
    order) before they return. A 3-node flow reports in 4 messages instead of 8, and the
    two facts the server must have before the next step are sent in time: that a node
    is running before its code runs (a run killed by its node, or at its memory limit, is
    settled naming that node) and that the run ended before its process exits (else the
    launcher would settle it as crashed).

    `finish_fields`, when given, adds fields to the `run_finished` event: a run whose Prefect
    flow run was created beside it (engine/execution/prefect_record.py) names it there.
    """

    def __init__(self, finish_fields: Callable[[], dict[str, Any]] | None = None):
        self._finish_fields = finish_fields
        self._queue: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # one batch at a time, in order (nodes run in parallel threads)

    def close(self) -> None:
        pass

    def _send(self, run_id: str, body: bytes) -> None:
        raise NotImplementedError

    def _queue_event(self, event: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._queue.append({"event": event, "data": data})

    def _send_with_queue(self, event: str, data: dict[str, Any]) -> None:
        with self._lock:
            events, self._queue = [*self._queue, {"event": event, "data": data}], []
            self._send(data["run_id"], json_bytes.dumps({"events": events}))

    def run_started(self, info: RunInfo) -> None:
        self._queue_event("run_started", asdict(info))

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        self._send_with_queue("node_started", {"run_id": run_id, "node_id": node_id, "attempt": attempt,
                                               "records_in": records_in, "at": at})

    def node_finished(self, result: NodeResult) -> None:
        self._queue_event("node_finished", asdict(result))

    def run_finished(self, run_id: str, status: str, error: str | None, at: datetime) -> None:
        extra = self._finish_fields() if self._finish_fields is not None else {}
        self._send_with_queue("run_finished", {**extra, "run_id": run_id, "status": status, "error": error, "at": at})


class HttpRunObserver(BatchedRunObserver):
    """Sends a run's batches of events to the API's internal route, each before returning
    (spawned workers, remote workers; a forked run writes them to its run host's pipe
    instead, engine/client/pipe_reporting.py)."""

    def __init__(self, api_url: str, token: str, timeout_s: float = 30.0,
                 finish_fields: Callable[[], dict[str, Any]] | None = None):
        super().__init__(finish_fields)
        # httpx.Client is safe to share between Prefect's task threads.
        self._client = httpx.Client(base_url=api_url, timeout=timeout_s, verify=shared_ssl_context(),
                                    headers={**auth_headers(token), "Content-Type": "application/json"})

    def close(self) -> None:
        self._client.close()

    def _send(self, run_id: str, body: bytes) -> None:
        # Every event is idempotent on the server (insert-or-replace / update by key), so a
        # request that timed out while the API was busy is simply sent again: a run must
        # not end as "crashed" because one report was slow.
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                response = self._client.post(f"/api/internal/runs/{run_id}/events", content=body)
                if response.status_code < 500:
                    response.raise_for_status()
                    return
            except httpx.TransportError:
                if attempt == SEND_ATTEMPTS:
                    raise
            time.sleep(0.5 * attempt)
        response.raise_for_status()
