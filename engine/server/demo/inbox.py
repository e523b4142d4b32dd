"""The demo Slack inbox: messages posted to `POST /demo/slack/{channel}`, kept in the app database.

It accepts what a Slack incoming webhook accepts — a JSON object with `text` and/or
`blocks` — and refuses the rest the way Slack does (`400 invalid_payload` /
`no_text`), so a flow that works against the inbox works against Slack. Messages are
kept (channel, time, text, blocks; table `demo_inbox`, engine/server/db/demo_tables.py)
until the data folder is removed.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

import orjson

from engine.server.db.demo_tables import DemoInboxTable

class InvalidMessage(ValueError):
    """A payload Slack would refuse; `code` is Slack's own error string."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def block_text(blocks: list[Any]) -> str:
    """The readable text of Block Kit blocks (section/header/context texts), for the inbox page."""
    parts: list[str] = []
    for block in blocks:
        if not isinstance(block, dict):
            continue
        text = block.get("text")
        if isinstance(text, dict) and isinstance(text.get("text"), str):
            parts.append(text["text"])
        for element in block.get("elements", []) if isinstance(block.get("elements"), list) else []:
            if isinstance(element, dict) and isinstance(element.get("text"), str):
                parts.append(element["text"])
        for field in block.get("fields", []) if isinstance(block.get("fields"), list) else []:
            if isinstance(field, dict) and isinstance(field.get("text"), str):
                parts.append(field["text"])
    return "\n".join(parts)


class Inbox:
    def __init__(self, db):
        self.table = DemoInboxTable(db)  # db: the app database
        self._lock = threading.Lock()

    def receive(self, channel: str, payload: Any) -> int:
        if not isinstance(payload, dict):
            raise InvalidMessage("invalid_payload", "the body must be a JSON object")
        text, blocks = payload.get("text"), payload.get("blocks")
        if text is not None and not isinstance(text, str):
            raise InvalidMessage("invalid_payload", '"text" must be a string')
        if blocks is not None and not isinstance(blocks, list):
            raise InvalidMessage("invalid_blocks", '"blocks" must be a list')
        if not (text and text.strip()) and not blocks:
            raise InvalidMessage("no_text", 'a message needs "text" or "blocks"')
        with self._lock:
            return self.table.add(channel, datetime.now(timezone.utc), text,
                                  orjson.dumps(blocks).decode() if blocks else None)

    def messages(self, channel: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first."""
        out = []
        for id_, chan, at, text, blocks in self.table.newest(channel, limit):
            blocks = orjson.loads(blocks) if blocks else None
            out.append({"id": id_, "channel": chan, "received_at": at.isoformat(), "text": text, "blocks": blocks,
                        "display_text": text if text else block_text(blocks or [])})
        return out

    def count(self, channel: str | None = None) -> int:
        return self.table.count(channel)
