"""Ending in Prefect the runs wirework settles itself: crashed, cancelled, killed at the memory limit.

A scheduled or work-pool run's Prefect flow run (or any run's, with
`WIREWORK_RUN_NODES=prefect`) is written by Prefect's flow engine inside the run process;
"run now"/webhook runs are recorded by the API's writer (services/prefect_writer.py), which
ends them itself — they never reach this settler (`RunService.settle`). When that process dies — killed at the memory
limit, by a crash, or 1 s after a cancel it did not honour — nothing in it can end the
flow run, which would stay Running in Prefect for ever. The API settles such runs
(`RunService.settle`) and hands each to this settler, which finds the flow run — by the id
the run reported, else by the idempotency key the run process created it with
(`wirework-run-<run id>`) — and forces it to the same end (`CRASHED`, `CANCELLED`,
`FAILED`), with wirework's error as the state's message. A flow run already in a final
state is left alone; a run whose flow run never reached Prefect has nothing to end.

Off the request path: one thread, a queue, plain HTTP calls to the Prefect API with the
server's auth string; Prefect down means a few retries with backoff, then a log line (the
run itself is settled in wirework either way).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from engine.execution.prefect_record import (
    IDEMPOTENCY_PREFIX, PrefectRefused, prefect_headers, prefect_request,
)
from engine.model.statuses import RunStatus

log = logging.getLogger("wirework.prefect_settler")

FINAL_STATE_TYPES = frozenset({"COMPLETED", "FAILED", "CANCELLED", "CRASHED"})
_STATE_OF = {RunStatus.CRASHED: ("CRASHED", "Crashed"), RunStatus.CANCELLED: ("CANCELLED", "Cancelled"),
             RunStatus.FAILED: ("FAILED", "Failed")}
ATTEMPTS = 5
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class _Settled:
    run_id: str
    status: RunStatus
    error: str
    flow_run_id: str | None


class PrefectSettler:
    def __init__(self, api_url: str, *, first_retry_s: float = 1.0):
        self.api_url = api_url.rstrip("/")
        self.first_retry_s = first_retry_s
        self._queue: queue.Queue[_Settled | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="prefect-settler", daemon=True)
        self._client: httpx.Client | None = None

    def start(self) -> "PrefectSettler":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout_s)
        if self._client is not None:
            self._client.close()

    def submit(self, run_id: str, status: RunStatus, error: str, flow_run_id: str | None) -> None:
        """Never blocks: the flow run is ended from the settler's thread."""
        if status in _STATE_OF:
            self._queue.put(_Settled(run_id, status, error, flow_run_id))

    # -- the thread --------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            delay = self.first_retry_s
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    self._end_flow_runs(item)
                    break
                except (httpx.HTTPError, PrefectRefused) as exc:
                    final = isinstance(exc, PrefectRefused) and not exc.retry  # e.g. 404: retrying will not help
                    if final or attempt == ATTEMPTS or self._stop.wait(delay):
                        log.warning("run %s: could not end its Prefect flow run as %s: %s", item.run_id,
                                    item.status, exc)
                        break
                    delay *= 2

    def _end_flow_runs(self, item: _Settled) -> None:
        for flow_run in self._flow_runs_of(item):
            if (flow_run.get("state_type") or "") in FINAL_STATE_TYPES:
                continue
            state_type, name = _STATE_OF[item.status]
            self._request("POST", f"/flow_runs/{flow_run['id']}/set_state",
                          {"state": {"type": state_type, "name": name, "message": item.error[:2000]},
                           "force": True})
            log.info("run %s: its Prefect flow run %s ended as %s", item.run_id, flow_run["id"], name)

    def _flow_runs_of(self, item: _Settled) -> list[dict[str, Any]]:
        if item.flow_run_id:
            return [self._request("GET", f"/flow_runs/{item.flow_run_id}", None)]
        found = self._request("POST", "/flow_runs/filter", {
            "flow_runs": {"idempotency_key": {"any_": [IDEMPOTENCY_PREFIX + item.run_id]}}, "limit": 5})
        return list(found or [])

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.api_url, headers=prefect_headers(), timeout=TIMEOUT_S)
        return self._client

    def _request(self, method: str, path: str, body: Any) -> Any:
        return prefect_request(self._http(), method, path, body)
