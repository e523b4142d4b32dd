"""The events a run emits and the observers that receive them.

The executor only talks to a `RunObserver`; what happens to the events (written to the
app database, printed as CLI progress, sent to the API and on to the editor over SSE)
is decided by whoever starts the run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from engine.model.runs import NodeResult, RunInfo
from engine.model.statuses import RunStatus

log = logging.getLogger("wirework.engine")

SAMPLE_SIZE = 20  # records of a node's output kept with the run


class RunObserver(Protocol):
    def run_started(self, info: RunInfo) -> None: ...
    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None: ...
    def node_finished(self, result: NodeResult) -> None: ...
    def run_finished(self, run_id: str, status: RunStatus, error: str | None, at: datetime) -> None: ...


class ObserverGroup:
    """Fans events out to several observers; one failing observer never fails a run."""

    def __init__(self, *observers: RunObserver | None):
        self.observers = [o for o in observers if o is not None]

    def _each(self, method: str, *args: Any) -> None:
        for observer in self.observers:
            try:
                getattr(observer, method)(*args)
            except Exception:  # observers are reporting, not execution
                log.exception("run observer %s.%s failed", type(observer).__name__, method)

    def run_started(self, info: RunInfo) -> None:
        self._each("run_started", info)

    def node_started(self, run_id: str, node_id: str, attempt: int, records_in: int, at: datetime) -> None:
        self._each("node_started", run_id, node_id, attempt, records_in, at)

    def node_finished(self, result: NodeResult) -> None:
        self._each("node_finished", result)

    def run_finished(self, run_id: str, status: RunStatus, error: str | None, at: datetime) -> None:
        self._each("run_finished", run_id, status, error, at)
