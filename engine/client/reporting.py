"""The worker side of run reporting: a RunObserver that sends events to the API.

A flow run in a worker process never opens the app database (the API process owns
it); it posts each event to the API's internal route, which writes it and streams it
to the editor.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import datetime
from typing import Any

import httpx
import orjson

from engine.client.tls import shared_ssl_context
from engine.model.runs import NodeResult, RunInfo

SEND_ATTEMPTS = 4


def auth_headers(token: str) -> dict[str, str]:
    """How run processes authenticate to the API: their run token as a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def encode_event(event: str, data: dict[str, Any]) -> bytes:
    return orjson.dumps({"event": event, "data": data}, default=str)


class HttpRunObserver:
    def __init__(self, api_url: str, token: str, timeout_s: float = 30.0):
        # httpx.Client is safe to share between Prefect's task threads.
        self._client = httpx.Client(base_url=api_url, timeout=timeout_s, verify=shared_ssl_context(),
                                    headers={**auth_headers(token), "Content-Type": "application/json"})

    def close(self) -> None:
        self._client.close()

    def _send(self, event: str, data: dict[str, Any]) -> None:
        # Every event is idempotent on the server (insert-or-replace / update by key), so a
        # request that timed out while the API was busy is simply sent again: a run must
        # not end as "crashed" because one report was slow.
        run_id = data["run_id"]
        body = encode_event(event, data)
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

    def run_started(self, info: RunInfo) -> None:
        self._send("run_started", asdict(info))

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        self._send("node_started", {"run_id": run_id, "node_id": node_id, "attempt": attempt,
                                    "records_in": records_in, "at": at})

    def node_finished(self, result: NodeResult) -> None:
        self._send("node_finished", asdict(result))

    def run_finished(self, run_id: str, status: str, error: str | None, at: datetime) -> None:
        self._send("run_finished", {"run_id": run_id, "status": status, "error": error, "at": at})
