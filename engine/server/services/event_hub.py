"""Live run events for the editor: an in-memory publish/subscribe hub in the API process.

Events arrive from worker processes (through the internal API, on request threads) and
are handed to each subscriber's asyncio queue on the event loop, thread-safely. A tap
(`tap`) is an in-process listener called with every event as it is published, on the
publisher's thread: it must not block (services/prefect_writer.py only updates its memory).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, Callable


@dataclass
class Subscription:
    queue: asyncio.Queue
    loop: asyncio.AbstractEventLoop
    run_id: str | None  # None: every run


class EventHub:
    def __init__(self, max_queue: int = 10_000):
        self._subscriptions: list[Subscription] = []
        self._taps: list[Callable[[str, dict[str, Any]], None]] = []
        self._lock = threading.Lock()
        self.max_queue = max_queue

    def subscribe(self, run_id: str | None = None) -> Subscription:
        sub = Subscription(asyncio.Queue(self.max_queue), asyncio.get_running_loop(), run_id)
        with self._lock:
            self._subscriptions.append(sub)
        return sub

    def tap(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        with self._lock:
            self._taps.append(listener)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscriptions:
                self._subscriptions.remove(sub)

    def publish(self, event: str, data: dict[str, Any]) -> None:
        run_id = data.get("run_id")
        with self._lock:
            targets = [s for s in self._subscriptions if s.run_id is None or s.run_id == run_id]
            taps = list(self._taps)
        for listener in taps:
            listener(event, data)
        for sub in targets:
            try:
                sub.loop.call_soon_threadsafe(self._offer, sub, event, data)
            except RuntimeError:  # the subscriber's loop is closed
                self.unsubscribe(sub)

    @staticmethod
    def _offer(sub: Subscription, event: str, data: dict[str, Any]) -> None:
        if not sub.queue.full():  # a stalled client loses events rather than the server's memory
            sub.queue.put_nowait((event, data))
