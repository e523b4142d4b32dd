"""The demo's two tables in the app database: published news articles and the Slack inbox.

They exist only while the demo is on: each owner creates its table (schema.py) when it
is made. The demo modules (engine/server/demo/newsroom.py and inbox.py) decide what is
published and what a valid message is; these classes only read and write the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.server.db.app_db import AppDatabase
from engine.server.db.schema import DEMO_INBOX, DEMO_NEWS


class DemoNewsTable:
    """`demo_news`: rows `(number, published_at)`, one per published article."""

    def __init__(self, db: AppDatabase):
        self.db = db
        db._execute(DEMO_NEWS)

    def count(self) -> int:
        return self.db._execute("SELECT count(*) FROM demo_news")[0][0]

    def add(self, times: list[datetime]) -> list[int]:
        """Publish one article per time, numbered after the highest so far; returns the numbers.
        Not atomic on its own: the newsroom publishes from one thread at a time."""
        first = self.db._execute("SELECT coalesce(max(number), 0) + 1 FROM demo_news")[0][0]
        numbers = list(range(first, first + len(times)))
        for number, at in zip(numbers, times):
            self.db._execute("INSERT INTO demo_news VALUES (?, ?)", [number, at])
        return numbers

    def last_published_at(self) -> datetime | None:
        return self.db._execute("SELECT max(published_at) FROM demo_news")[0][0]

    def newest(self, offset: int, limit: int) -> list[tuple[int, datetime]]:
        """(number, published_at) of the newest articles first."""
        return self.db._execute("SELECT number, published_at FROM demo_news ORDER BY number DESC LIMIT ? OFFSET ?",
                                [limit, offset])

    def get(self, number: int) -> tuple[int, datetime] | None:
        rows = self.db._execute("SELECT number, published_at FROM demo_news WHERE number = ?", [number])
        return rows[0] if rows else None

    def backdate(self, seconds: float) -> None:
        """Move every publication time `seconds` into the past: how tests let time pass."""
        self.db._execute("UPDATE demo_news SET published_at = published_at - to_seconds(?)", [float(seconds)])


class DemoInboxTable:
    """`demo_inbox`: messages (channel, received_at, text, blocks as JSON text), ids in order."""

    def __init__(self, db: AppDatabase):
        self.db = db
        db._execute(DEMO_INBOX)

    def add(self, channel: str, received_at: datetime, text: str | None, blocks_json: str | None) -> int:
        rows = self.db._execute(
            "INSERT INTO demo_inbox (channel, received_at, text, blocks) VALUES (?, ?, ?, ?) RETURNING id",
            [channel, received_at, text, blocks_json])
        return rows[0][0]

    def newest(self, channel: str | None, limit: int) -> list[tuple[Any, ...]]:
        """(id, channel, received_at, text, blocks) of the newest messages first, of one channel or all."""
        where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
        return self.db._execute(f"SELECT id, channel, received_at, text, blocks FROM demo_inbox {where} "
                                "ORDER BY id DESC LIMIT ?", [*params, limit])

    def count(self, channel: str | None = None) -> int:
        where, params = ("WHERE channel = ?", [channel]) if channel else ("", [])
        return self.db._execute(f"SELECT count(*) FROM demo_inbox {where}", params)[0][0]
