"""Which demo articles are published, and when: the demo news site's only state.

The published articles are rows `(number, published_at)` in the app database (table
`demo_news`, engine/server/db/demo_tables.py), so the
site survives a restart and a re-scrape sees the same articles. New ones appear two
ways: on demand (`publish(n)`, behind `POST /demo/news/publish`, which tests use), and
over time — every `WIREWORK_DEMO_NEWS_EVERY_S` seconds (default 900: about four new
articles per hourly run; 0 turns it off), caught up lazily when the site is read.
A fault switch (in memory, reset by a restart) makes the list pages answer garbage, for
failure drills.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta

from engine.server.db.demo_tables import DemoNewsTable
from engine.server.demo.news_site import Article, make_article
from engine.model.runs import utcnow

INITIAL_ARTICLES = 12
EVERY_ENV = "WIREWORK_DEMO_NEWS_EVERY_S"
DEFAULT_EVERY_S = 900.0
MAX_CATCH_UP = 20  # after a long stop, a burst of at most this many, not a day's worth
FAULT_MODES = ("none", "garbage")


def _every_from_env() -> float:
    try:
        return max(0.0, float(os.environ.get(EVERY_ENV, DEFAULT_EVERY_S)))
    except ValueError:
        return DEFAULT_EVERY_S


class Newsroom:
    def __init__(self, db, every_s: float | None = None):
        self.table = DemoNewsTable(db)  # db: the app database (this process owns it)
        self.every_s = _every_from_env() if every_s is None else every_s
        self.fault = "none"
        self._lock = threading.Lock()  # numbers are max + 1: one publisher at a time
        with self._lock:
            if self.table.count() == 0:
                spacing = timedelta(seconds=self.every_s or DEFAULT_EVERY_S)
                now = utcnow()
                self.table.add([now - spacing * (INITIAL_ARTICLES - i) for i in range(1, INITIAL_ARTICLES + 1)])

    def publish(self, count: int) -> list[int]:
        """Publish `count` new articles now; returns their numbers."""
        with self._lock:
            return self.table.add([utcnow()] * count)

    def catch_up(self) -> None:
        """Publish what the passing of time has brought since the newest article."""
        if not self.every_s:
            return
        with self._lock:
            last = self.table.last_published_at()
            now = utcnow()
            due = int((now - last).total_seconds() // self.every_s) if last else 0
            if last is None or due <= 0:
                return
            step = timedelta(seconds=self.every_s)
            start = max(last, now - step * MAX_CATCH_UP)
            self.table.add([start + step * i for i in range(1, min(due, MAX_CATCH_UP) + 1)])

    def total(self) -> int:
        self.catch_up()
        return self.table.count()

    def newest(self, offset: int, limit: int) -> list[Article]:
        return [make_article(number, at) for number, at in self.table.newest(offset, limit)]

    def article(self, number: int) -> Article | None:
        row = self.table.get(number)
        return make_article(*row) if row else None

    def set_fault(self, mode: str) -> None:
        if mode not in FAULT_MODES:
            raise ValueError(f"fault mode must be one of {', '.join(FAULT_MODES)}")
        self.fault = mode
